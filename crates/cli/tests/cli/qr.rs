//! Reading QR codes from image files, as photos and screenshots come.

use std::path::{Path, PathBuf};

use image::{GrayImage, ImageFormat, Luma};
use rekey_cli::qr::{ScanError, Scanned, decode_image, scan_file};

use crate::support::{qr_image, recovery_url, registration_url};

fn save(dir: &Path, name: &str, image: &GrayImage, format: ImageFormat) -> PathBuf {
    let path = dir.join(name);
    image.save_with_format(&path, format).expect("save");
    path
}

/// Deterministic pseudo-random numbers for noise.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }
}

#[test]
fn reads_a_plain_png_registration_code() {
    let dir = tempfile::tempdir().unwrap();
    let (url, code) = registration_url();
    let path = save(
        dir.path(),
        "plain.png",
        &qr_image(&url, 8),
        ImageFormat::Png,
    );
    let (text, scanned) = scan_file(&path).unwrap();
    assert_eq!(text, url);
    match scanned {
        Scanned::Registration(r) => assert_eq!(r.code, code),
        other => panic!("{other:?}"),
    }
}

#[test]
fn reads_a_recovery_code() {
    let dir = tempfile::tempdir().unwrap();
    let url = recovery_url("https://cloud.example.com", 1_900_000_000);
    let path = save(
        dir.path(),
        "recovery.png",
        &qr_image(&url, 6),
        ImageFormat::Png,
    );
    let (text, scanned) = scan_file(&path).unwrap();
    assert_eq!(text, url);
    match scanned {
        Scanned::Recovery(r) => {
            assert_eq!(r.serial.as_str(), "RK12AB34");
            assert_eq!(r.challenge.email.as_str(), "owner+nvr@example.jp");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn reads_tiny_and_huge_renderings() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _) = registration_url();
    // Two pixels per module: a small screenshot.
    let tiny = save(dir.path(), "tiny.png", &qr_image(&url, 2), ImageFormat::Png);
    assert_eq!(scan_file(&tiny).unwrap().0, url);
    // A large photo-sized rendering, smoothly scaled (not a whole number of pixels per module).
    let base = qr_image(&url, 10);
    let big = image::imageops::resize(&base, 2100, 2100, image::imageops::FilterType::Triangle);
    let big = save(dir.path(), "big.png", &big, ImageFormat::Png);
    assert_eq!(scan_file(&big).unwrap().0, url);
}

#[test]
fn reads_a_code_off_centre_on_a_noisy_background() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _) = registration_url();
    let code = qr_image(&url, 6);
    let mut rng = Lcg(42);
    // A grey, noisy "desk" with the code (and its quiet zone) pasted off centre, slightly dimmed.
    let mut photo = GrayImage::from_fn(code.width() * 2 + 150, code.height() * 2 + 90, |_, _| {
        Luma([90 + (rng.next() % 80) as u8])
    });
    for (x, y, p) in code.enumerate_pixels() {
        let v = if p.0[0] > 128 { 220 } else { 35 };
        let noise = (rng.next() % 21) as u8;
        photo.put_pixel(x + 120, y + 60, Luma([v - 10 + noise]));
    }
    let path = save(dir.path(), "noisy.png", &photo, ImageFormat::Png);
    assert_eq!(scan_file(&path).unwrap().0, url);
}

#[test]
fn reads_a_jpeg_and_ignores_the_file_name() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _) = registration_url();
    let jpeg = save(
        dir.path(),
        "photo.jpg",
        &qr_image(&url, 5),
        ImageFormat::Jpeg,
    );
    assert_eq!(scan_file(&jpeg).unwrap().0, url);
    // A JPEG named .png is still read by its content.
    let misnamed = dir.path().join("misnamed.png");
    std::fs::copy(&jpeg, &misnamed).unwrap();
    assert_eq!(scan_file(&misnamed).unwrap().0, url);
}

#[test]
fn a_picture_without_a_code_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Lcg(7);
    let noise = GrayImage::from_fn(300, 200, |x, _| {
        Luma([(x % 50) as u8 * 4 + (rng.next() % 30) as u8])
    });
    let path = save(dir.path(), "wall.png", &noise, ImageFormat::Png);
    let err = scan_file(&path).unwrap_err();
    assert!(matches!(err, ScanError::NoQrCode { .. }), "{err:?}");
    let none = rekey_web::Lang::En.t_args(
        "cli-qr-none",
        &[("path", path.display().to_string().into())],
    );
    assert_eq!(err.message(rekey_web::Lang::En), none);
}

#[test]
fn a_file_that_is_not_an_image_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.png");
    std::fs::write(&path, "this is text, not a picture").unwrap();
    let err = scan_file(&path).unwrap_err();
    assert!(matches!(err, ScanError::NotAnImage { .. }), "{err:?}");

    let missing = scan_file(&dir.path().join("nope.png")).unwrap_err();
    assert!(matches!(missing, ScanError::Read { .. }), "{missing:?}");
}

#[test]
fn a_code_that_is_not_rekeys_is_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let path = save(
        dir.path(),
        "other.png",
        &qr_image("https://example.com/menu?table=4", 6),
        ImageFormat::Png,
    );
    let err = scan_file(&path).unwrap_err();
    assert!(matches!(err, ScanError::NotRekey { .. }), "{err:?}");
}

#[test]
fn payload_parsing_tells_the_two_codes_apart() {
    let (reg, _) = registration_url();
    assert!(matches!(Scanned::parse(&reg), Ok(Scanned::Registration(_))));
    let rec = recovery_url("https://cloud.example.com", 1);
    assert!(matches!(Scanned::parse(&rec), Ok(Scanned::Recovery(_))));
    let unknown = reg.replace("v=1", "v=9");
    assert!(
        Scanned::parse(&unknown)
            .unwrap_err()
            .to_string()
            .contains("version 9")
    );
    let broken = rec.replace("&t=", "&u=");
    assert!(
        Scanned::parse(&broken)
            .unwrap_err()
            .to_string()
            .contains("password recovery")
    );
}

fn plain_rqrr(image: &GrayImage) -> usize {
    let mut prepared = rqrr::PreparedImage::prepare(image.clone());
    prepared
        .detect_grids()
        .iter()
        .filter(|g| g.decode().is_ok())
        .count()
}

#[test]
fn variants_read_what_the_plain_decoder_misses() {
    let (url, _) = registration_url();
    // Out of focus: only the thresholded variant reads it.
    let blurred = image::imageops::blur(&qr_image(&url, 6), 2.5);
    assert_eq!(
        plain_rqrr(&blurred),
        0,
        "the case no longer needs a variant"
    );
    assert_eq!(
        decode_image(&image::DynamicImage::ImageLuma8(blurred)),
        vec![url.clone()]
    );
    // Light on dark, as some screens show it: only the inverted variant reads it.
    let mut inverted = qr_image(&url, 6);
    image::imageops::invert(&mut inverted);
    assert_eq!(
        plain_rqrr(&inverted),
        0,
        "the case no longer needs a variant"
    );
    assert_eq!(
        decode_image(&image::DynamicImage::ImageLuma8(inverted)),
        vec![url]
    );
}
