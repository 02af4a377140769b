//! QR codes as PNG images, for the cloud page's registration QR and the recovery screen's QR.

use std::io::Cursor;

/// Why a QR code could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum QrImageError {
    /// The text does not fit in a QR code.
    #[error("the text does not fit in a QR code: {0}")]
    Encode(#[from] qrcode::types::QrError),
    /// PNG encoding failed.
    #[error("PNG encoding failed: {0}")]
    Png(#[from] image::ImageError),
}

/// A PNG image of a QR code holding `text`, at least 320 pixels wide, with a quiet zone.
pub fn png(text: &str) -> Result<Vec<u8>, QrImageError> {
    let code = qrcode::QrCode::new(text.as_bytes())?;
    let img = code
        .render::<image::Luma<u8>>()
        .min_dimensions(320, 320)
        .quiet_zone(true)
        .build();
    let mut out = Vec::new();
    image::DynamicImage::ImageLuma8(img)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn png_starts_with_the_signature() {
        let p = super::png("https://cloud.example.com/m/add?v=1&code=0123456789AB");
        assert!(p.is_ok_and(|p| p.starts_with(b"\x89PNG")));
    }
}
