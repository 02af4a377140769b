//! Reading QR codes from photos and screenshots, on this computer: the image is never sent
//! anywhere, only the text of a Rekey QR code found in it.
//!
//! The image is turned to greyscale and handed to `rqrr` as it is; if no code is found there,
//! smaller, larger, black-and-white (Otsu-thresholded) and inverted variants are tried, which
//! helps with large phone photos, tiny screenshots, uneven light and light-on-dark screens.

use std::path::{Path, PathBuf};

use image::imageops::{self, FilterType};
use image::{DynamicImage, GrayImage, ImageReader};
use rekey_proto::{QrError, RecoveryQr, RegistrationQr};

/// Longest side of the downscaled variants.
const DOWNSCALE_SIDES: [u32; 2] = [1200, 700];
/// Images whose longest side is below this are also tried enlarged.
const SMALL_SIDE: u32 = 400;

/// Why no Rekey QR code could be read from an image file.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not an image this program reads.
    #[error("{path} is not a PNG or JPEG image this program can read ({source})")]
    NotAnImage {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: image::ImageError,
    },
    /// No QR code was found in the image.
    #[error(
        "no QR code found in {path}; take the photo straight on, in focus, with the whole code \
         filling most of the picture"
    )]
    NoQrCode {
        /// The file.
        path: PathBuf,
    },
    /// A QR code was found, but it is not one of Rekey's.
    #[error("the QR code in {path} is not a Rekey code: {source}")]
    NotRekey {
        /// The file.
        path: PathBuf,
        /// Why it was refused.
        source: QrError,
    },
}

impl ScanError {
    /// The error for people in `lang`.
    pub fn message(&self, lang: rekey_web::Lang) -> String {
        let path = |p: &std::path::Path| rekey_web::i18n::Arg::from(p.display().to_string());
        match self {
            Self::Read { path: p, source } => lang.t_args(
                "cli-qr-cannot-read",
                &[("path", path(p)), ("reason", source.to_string().into())],
            ),
            Self::NotAnImage { path: p, source } => lang.t_args(
                "cli-qr-not-an-image",
                &[("path", path(p)), ("reason", source.to_string().into())],
            ),
            Self::NoQrCode { path: p } => lang.t_args("cli-qr-none", &[("path", path(p))]),
            Self::NotRekey { path: p, source } => lang.t_args(
                "cli-qr-not-rekey",
                &[("path", path(p)), ("reason", source.to_string().into())],
            ),
        }
    }
}

/// A Rekey QR code that was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scanned {
    /// The registration QR of the recorder's cloud page.
    Registration(RegistrationQr),
    /// The recovery QR of the recorder's "Password recovery" screen.
    Recovery(RecoveryQr),
}

impl Scanned {
    /// Parses the text of a QR code as one of Rekey's. For text that is neither, the error is
    /// the more telling of the two parsers' errors.
    pub fn parse(text: &str) -> Result<Self, QrError> {
        let registration = match RegistrationQr::parse(text) {
            Ok(r) => return Ok(Self::Registration(r)),
            Err(e) => e,
        };
        match RecoveryQr::parse(text) {
            Ok(r) => Ok(Self::Recovery(r)),
            Err(e @ QrError::UnknownVersion(_)) => Err(e),
            Err(e) if text.contains(rekey_proto::RECOVERY_PATH) => Err(e),
            Err(_) => Err(registration),
        }
    }
}

/// Reads a Rekey QR code from an image file: returns the code's text (a URL) and what it is.
pub fn scan_file(path: &Path) -> Result<(String, Scanned), ScanError> {
    let image = load_image(path)?;
    let texts = decode_image(&image);
    let mut first_error = None;
    for text in texts {
        match Scanned::parse(&text) {
            Ok(scanned) => return Ok((text, scanned)),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(match first_error {
        Some(source) => ScanError::NotRekey {
            path: path.to_path_buf(),
            source,
        },
        None => ScanError::NoQrCode {
            path: path.to_path_buf(),
        },
    })
}

/// Opens an image file, telling its format from its content rather than its name.
pub fn load_image(path: &Path) -> Result<DynamicImage, ScanError> {
    let reader = ImageReader::open(path)
        .and_then(ImageReader::with_guessed_format)
        .map_err(|source| ScanError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    reader.decode().map_err(|source| ScanError::NotAnImage {
        path: path.to_path_buf(),
        source,
    })
}

/// The texts of the QR codes found in an image (empty if none): those of the first variant of
/// the image in which any code could be read.
pub fn decode_image(image: &DynamicImage) -> Vec<String> {
    let luma = image.to_luma8();
    let found = decode_gray(luma.clone());
    if !found.is_empty() {
        return found;
    }
    let longest = luma.width().max(luma.height());
    let mut bases = vec![luma];
    for side in DOWNSCALE_SIDES {
        if longest > side {
            bases.push(scale_to(&bases[0], side, FilterType::Triangle));
        }
    }
    if longest > 0 && longest < SMALL_SIDE {
        bases.push(scale_to(&bases[0], longest * 4, FilterType::Nearest));
    }
    for (i, base) in bases.iter().enumerate() {
        if i > 0 {
            let found = decode_gray(base.clone());
            if !found.is_empty() {
                return found;
            }
        }
        let mut bw = threshold(base);
        let found = decode_gray(bw.clone());
        if !found.is_empty() {
            return found;
        }
        imageops::invert(&mut bw);
        let found = decode_gray(bw);
        if !found.is_empty() {
            return found;
        }
    }
    Vec::new()
}

/// The texts of the codes `rqrr` reads in a greyscale image.
fn decode_gray(image: GrayImage) -> Vec<String> {
    if image.width() == 0 || image.height() == 0 {
        return Vec::new();
    }
    // A decoder fed with arbitrary pictures must not take the program down with it.
    std::panic::catch_unwind(move || {
        let mut prepared = rqrr::PreparedImage::prepare(image);
        prepared
            .detect_grids()
            .into_iter()
            .filter_map(|grid| grid.decode().ok().map(|(_, text)| text))
            .collect::<Vec<_>>()
    })
    .unwrap_or_default()
}

/// The image scaled so that its longest side is `side` pixels.
fn scale_to(image: &GrayImage, side: u32, filter: FilterType) -> GrayImage {
    let longest = image.width().max(image.height()).max(1);
    let w = (u64::from(image.width()) * u64::from(side) / u64::from(longest)).max(1);
    let h = (u64::from(image.height()) * u64::from(side) / u64::from(longest)).max(1);
    imageops::resize(
        image,
        u32::try_from(w).unwrap_or(side),
        u32::try_from(h).unwrap_or(side),
        filter,
    )
}

/// Black and white at the threshold that best separates the image's two tones (Otsu's method).
pub fn threshold(image: &GrayImage) -> GrayImage {
    let mut histogram = [0u64; 256];
    for p in image.pixels() {
        histogram[usize::from(p.0[0])] += 1;
    }
    let total: u64 = histogram.iter().sum();
    let sum_all: f64 = histogram
        .iter()
        .enumerate()
        .map(|(v, &n)| v as f64 * n as f64)
        .sum();
    let (mut best, mut best_var) = (128u8, -1.0f64);
    let (mut weight_low, mut sum_low) = (0u64, 0f64);
    for (t, &n) in histogram.iter().enumerate() {
        weight_low += n;
        sum_low += t as f64 * n as f64;
        let weight_high = total - weight_low;
        if weight_low == 0 || weight_high == 0 {
            continue;
        }
        let mean_low = sum_low / weight_low as f64;
        let mean_high = (sum_all - sum_low) / weight_high as f64;
        let var = weight_low as f64 * weight_high as f64 * (mean_low - mean_high).powi(2);
        if var > best_var {
            best_var = var;
            best = u8::try_from(t).unwrap_or(u8::MAX);
        }
    }
    let mut out = image.clone();
    for p in out.pixels_mut() {
        p.0[0] = if p.0[0] <= best { 0 } else { 255 };
    }
    out
}
