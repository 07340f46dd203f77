//! 地域メッシュ (JIS X 0410): the grid of Japan's statistical mesh codes, from the 1st-order mesh
//! (4 digits, 40′ × 1°) down to the 1/8 mesh (11 digits). Cells are in JGD2011 lon/lat, treated as
//! EPSG:4326.

use geo::{Coord, Point, Rect};

/// A mesh cell.
#[derive(Debug, Clone, PartialEq)]
pub struct MeshCell {
    pub code: String,
    /// 1 (1st order) … 3 (3rd order, about 1 km), 4 (1/2 mesh), 5 (1/4 mesh), 6 (1/8 mesh).
    pub order: u8,
    /// South-west corner and north-east corner, degrees.
    pub rect: Rect<f64>,
}

impl MeshCell {
    /// The cell's centre, where its population point is placed.
    pub fn centre(&self) -> Point<f64> {
        self.rect.center().into()
    }
}

/// The cell of `code`.
///
/// ```
/// use sasaeai::import::mesh::cell;
/// let c = cell("53393599").unwrap();           // a 3rd-order mesh in central Tokyo
/// assert_eq!(c.order, 3);
/// assert!((c.rect.min().y - (35.0 + 20.0 / 60.0 + 3.0 * 5.0 / 60.0 + 9.0 * 30.0 / 3600.0)).abs() < 1e-12);
/// assert!((c.rect.min().x - (139.0 + 5.0 * 7.5 / 60.0 + 9.0 * 45.0 / 3600.0)).abs() < 1e-12);
/// assert!(cell("5339x").is_err());
/// ```
pub fn cell(code: &str) -> Result<MeshCell, String> {
    let digits: Vec<u32> = code
        .trim()
        .chars()
        .map(|c| c.to_digit(10).ok_or_else(|| format!("mesh code {code:?} has a non-digit")))
        .collect::<Result<_, _>>()?;
    let order = match digits.len() {
        4 => 1,
        6 => 2,
        8 => 3,
        9 => 4,
        10 => 5,
        11 => 6,
        n => {
            return Err(format!(
                "mesh code {code:?} has {n} digits; a JIS X 0410 code has 4, 6, 8, 9, 10 or 11"
            ));
        }
    };
    let (mut lat, mut lon) =
        ((digits[0] * 10 + digits[1]) as f64 / 1.5, (digits[2] * 10 + digits[3]) as f64 + 100.0);
    let (mut h, mut w) = (40.0 / 60.0, 1.0);
    if order >= 2 {
        let (r, s) = (digits[4], digits[5]);
        if r > 7 || s > 7 {
            return Err(format!("mesh code {code:?}: 2nd-order digits must be 0–7"));
        }
        (h, w) = (h / 8.0, w / 8.0);
        lat += r as f64 * h;
        lon += s as f64 * w;
    }
    if order >= 3 {
        (h, w) = (h / 10.0, w / 10.0);
        lat += digits[6] as f64 * h;
        lon += digits[7] as f64 * w;
    }
    for &d in digits.iter().skip(8) {
        if !(1..=4).contains(&d) {
            return Err(format!("mesh code {code:?}: subdivision digits must be 1–4"));
        }
        (h, w) = (h / 2.0, w / 2.0);
        if d >= 3 {
            lat += h;
        }
        if d % 2 == 0 {
            lon += w;
        }
    }
    Ok(MeshCell {
        code: code.trim().to_owned(),
        order,
        rect: Rect::new(Coord { x: lon, y: lat }, Coord { x: lon + w, y: lat + h }),
    })
}
