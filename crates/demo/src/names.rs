//! Names of the fictional province's units and how they were reorganised in 2025. Commune
//! names carry full Vietnamese diacritics and include names starting with Đ and D so that
//! Vietnamese collation (Đ after D) is exercised wherever units are sorted.

/// Departments assessed from 2022 to 2024: `(code, name)`.
pub(crate) const DEPARTMENTS: [(&str, &str); 16] = [
    ("SNV", "Sở Nội vụ"),
    ("STP", "Sở Tư pháp"),
    ("STC", "Sở Tài chính"),
    ("SKHDT", "Sở Kế hoạch và Đầu tư"),
    ("SKHCN", "Sở Khoa học và Công nghệ"),
    ("SGTVT", "Sở Giao thông vận tải"),
    ("SXD", "Sở Xây dựng"),
    ("SLDTBXH", "Sở Lao động - Thương binh và Xã hội"),
    ("SNNPTNT", "Sở Nông nghiệp và Phát triển nông thôn"),
    ("STNMT", "Sở Tài nguyên và Môi trường"),
    ("SCT", "Sở Công Thương"),
    ("SYT", "Sở Y tế"),
    ("SGDDT", "Sở Giáo dục và Đào tạo"),
    ("STTTT", "Sở Thông tin và Truyền thông"),
    ("VPUBND", "Văn phòng UBND tỉnh"),
    ("BQLKCN", "Ban Quản lý các khu công nghiệp"),
];

/// Departments formed on 1/3/2025 by merging two former ones: `(code, name, predecessors)`.
pub(crate) const MERGED_DEPARTMENTS: [(&str, &str, [&str; 2]); 5] = [
    ("SNV-2025", "Sở Nội vụ", ["SNV", "SLDTBXH"]),
    ("STC-2025", "Sở Tài chính", ["STC", "SKHDT"]),
    ("SXD-2025", "Sở Xây dựng", ["SXD", "SGTVT"]),
    (
        "SNNMT",
        "Sở Nông nghiệp và Môi trường",
        ["SNNPTNT", "STNMT"],
    ),
    ("SKHCN-2025", "Sở Khoa học và Công nghệ", ["SKHCN", "STTTT"]),
];

/// The unit not ranked in 2022 and 2023: it was assessed for reference while its own
/// procedures were being transferred.
pub(crate) const UNRANKED_DEPARTMENT: &str = "BQLKCN";

/// Districts to 30/6/2025 and their communes: `(code, name, communes)`.
pub(crate) const DISTRICTS: [(&str, &str, &[&str]); 7] = [
    (
        "TP-NGOC-LAM",
        "Thành phố Ngọc Lâm",
        &[
            "Phường Bắc Sơn",
            "Phường Nam Sơn",
            "Phường Đông Hải",
            "Phường Tây Lộc",
            "Phường Hòa Bình",
            "Phường Quang Trung",
            "Phường Trần Phú",
            "Phường Lê Lợi",
            "Phường Đằng Giang",
            "Phường Dương Kinh",
            "Phường Phú Xuân",
            "Phường Thạch Bàn",
            "Xã Ngọc Thạch",
            "Xã Lâm Hòa",
        ],
    ),
    (
        "TX-DONG-PHU",
        "Thị xã Đông Phú",
        &[
            "Phường Phú Mỹ",
            "Phường Phú Lợi",
            "Phường Đông Tiến",
            "Phường Đông Hòa",
            "Xã Phú Thịnh",
            "Xã Đồng Lạc",
            "Xã Dân Chủ",
            "Xã Ái Quốc",
        ],
    ),
    (
        "H-AN-THANH",
        "Huyện An Thạnh",
        &[
            "Thị trấn An Thạnh",
            "Xã An Bình",
            "Xã An Lạc",
            "Xã An Phú",
            "Xã Ân Nghĩa",
            "Xã Định Thành",
            "Xã Diễn Hồng",
            "Xã Mỹ Lộc",
            "Xã Ưng Thuận",
        ],
    ),
    (
        "H-TAN-KHE",
        "Huyện Tân Khê",
        &[
            "Thị trấn Tân Khê",
            "Xã Tân Lập",
            "Xã Khê Thượng",
            "Xã Tân Hưng",
            "Xã Đào Xá",
            "Xã Duy Tân",
            "Xã Hợp Thịnh",
        ],
    ),
    (
        "H-DA-LAM",
        "Huyện Đạ Lâm",
        &[
            "Thị trấn Đạ Lâm",
            "Xã Đạ Ròn",
            "Xã Đạ Tông",
            "Xã Đinh Lạc",
            "Xã Đa Phước",
            "Xã Lộc Nam",
            "Xã Gia Hiệp",
            "Xã Tam Bố",
            "Xã Ninh Gia",
        ],
    ),
    (
        "H-DIEN-PHUOC",
        "Huyện Diên Phước",
        &[
            "Thị trấn Diên Phước",
            "Xã Diên An",
            "Xã Diên Sơn",
            "Xã Diên Lạc",
            "Xã Điện Thọ",
            "Xã Phước Hưng",
            "Xã Phước Tân",
            "Xã Suối Tiên",
            "Xã Bình Lộc",
            "Xã Yên Thành",
        ],
    ),
    (
        "H-HON-MAY",
        "Huyện Hòn Mây",
        &["Thị trấn Hòn Mây", "Xã Bãi Cát", "Xã Hòn Nồm"],
    ),
];

/// The provincial city, rank 1 of the districts every year.
pub(crate) const CITY: &str = "TP-NGOC-LAM";

/// The district whose 2024 result is 89,83 points, class Tốt, rank 5/7.
pub(crate) const SHOWCASE_DISTRICT: &str = "H-TAN-KHE";

/// Commune-level units formed on 1/7/2025: `(name, predecessors by name)`.
pub(crate) const MERGED_COMMUNES: [(&str, &[&str]); 25] = [
    (
        "Phường Ngọc Lâm",
        &["Phường Quang Trung", "Phường Trần Phú", "Phường Lê Lợi"],
    ),
    ("Phường Sơn Hà", &["Phường Bắc Sơn", "Phường Nam Sơn"]),
    ("Phường Hải Lộc", &["Phường Đông Hải", "Phường Tây Lộc"]),
    ("Phường Hòa Xuân", &["Phường Hòa Bình", "Phường Phú Xuân"]),
    (
        "Phường Kinh Giang",
        &["Phường Đằng Giang", "Phường Dương Kinh", "Phường Thạch Bàn"],
    ),
    ("Phường Lâm Thạch", &["Xã Ngọc Thạch", "Xã Lâm Hòa"]),
    (
        "Phường Đông Phú",
        &["Phường Đông Tiến", "Phường Đông Hòa", "Phường Phú Lợi"],
    ),
    ("Phường Mỹ Thịnh", &["Phường Phú Mỹ", "Xã Phú Thịnh"]),
    ("Xã Đồng Tâm", &["Xã Đồng Lạc", "Xã Dân Chủ", "Xã Ái Quốc"]),
    (
        "Xã An Thạnh",
        &["Thị trấn An Thạnh", "Xã An Bình", "Xã An Lạc"],
    ),
    ("Xã Phú Nghĩa", &["Xã An Phú", "Xã Ân Nghĩa"]),
    ("Xã Định Hồng", &["Xã Định Thành", "Xã Diễn Hồng"]),
    ("Xã Mỹ Thuận", &["Xã Mỹ Lộc", "Xã Ưng Thuận"]),
    (
        "Xã Tân Khê",
        &["Thị trấn Tân Khê", "Xã Tân Lập", "Xã Tân Hưng"],
    ),
    ("Xã Đào Khê", &["Xã Khê Thượng", "Xã Đào Xá"]),
    ("Xã Duy Hợp", &["Xã Duy Tân", "Xã Hợp Thịnh"]),
    ("Xã Đạ Lâm", &["Thị trấn Đạ Lâm", "Xã Đạ Ròn", "Xã Đạ Tông"]),
    ("Xã Đinh Phước", &["Xã Đinh Lạc", "Xã Đa Phước"]),
    ("Xã Lộc Hiệp", &["Xã Lộc Nam", "Xã Gia Hiệp"]),
    ("Xã Ninh Tam", &["Xã Tam Bố", "Xã Ninh Gia"]),
    (
        "Xã Diên Phước",
        &["Thị trấn Diên Phước", "Xã Diên An", "Xã Diên Lạc"],
    ),
    (
        "Xã Diên Tiên",
        &["Xã Diên Sơn", "Xã Điện Thọ", "Xã Suối Tiên"],
    ),
    ("Xã Phước Tân Hưng", &["Xã Phước Hưng", "Xã Phước Tân"]),
    ("Xã Bình Yên", &["Xã Bình Lộc", "Xã Yên Thành"]),
    (
        "Đặc khu Hòn Mây",
        &["Thị trấn Hòn Mây", "Xã Bãi Cát", "Xã Hòn Nồm"],
    ),
];

/// The special zone, assessed but not ranked in its first year.
pub(crate) const SPECIAL_ZONE: &str = "Đặc khu Hòn Mây";

/// The commune-level kind words that start a name, with the code prefix of each.
const KINDS: [(&str, &str); 4] = [
    ("Thị trấn ", "TT"),
    ("Phường ", "P"),
    ("Xã ", "X"),
    ("Đặc khu ", "DK"),
];

/// Splits "Xã Đào Xá" into its kind prefix (`X`) and the rest ("Đào Xá").
pub(crate) fn split_kind(name: &str) -> (&'static str, &str) {
    KINDS
        .iter()
        .find_map(|(word, prefix)| name.strip_prefix(word).map(|rest| (*prefix, rest)))
        .unwrap_or(("DV", name))
}

/// A code from a Vietnamese name: kind prefix plus the name without diacritics
/// ("Xã Đào Xá" → `X-DAO-XA`).
pub(crate) fn code_for(name: &str) -> String {
    let (prefix, rest) = split_kind(name);
    let folded: String = rest.chars().map(fold).collect();
    let words: Vec<String> = folded.split_whitespace().map(str::to_uppercase).collect();
    format!("{prefix}-{}", words.join("-"))
}

/// One Vietnamese letter without its diacritics.
fn fold(c: char) -> char {
    let lower = c.to_lowercase().next().unwrap_or(c);
    let base = match lower {
        'à' | 'á' | 'ả' | 'ã' | 'ạ' | 'ă' | 'ằ' | 'ắ' | 'ẳ' | 'ẵ' | 'ặ' | 'â' | 'ầ' | 'ấ' | 'ẩ'
        | 'ẫ' | 'ậ' => 'a',
        'è' | 'é' | 'ẻ' | 'ẽ' | 'ẹ' | 'ê' | 'ề' | 'ế' | 'ể' | 'ễ' | 'ệ' => 'e',
        'ì' | 'í' | 'ỉ' | 'ĩ' | 'ị' => 'i',
        'ò' | 'ó' | 'ỏ' | 'õ' | 'ọ' | 'ô' | 'ồ' | 'ố' | 'ổ' | 'ỗ' | 'ộ' | 'ơ' | 'ờ' | 'ớ' | 'ở'
        | 'ỡ' | 'ợ' => 'o',
        'ù' | 'ú' | 'ủ' | 'ũ' | 'ụ' | 'ư' | 'ừ' | 'ứ' | 'ử' | 'ữ' | 'ự' => 'u',
        'ỳ' | 'ý' | 'ỷ' | 'ỹ' | 'ỵ' => 'y',
        'đ' => 'd',
        other => other,
    };
    if c.is_uppercase() {
        base.to_ascii_uppercase()
    } else {
        base
    }
}

/// The 34 provinces and centrally-run cities after 1/7/2025, naming the synthetic groups.
pub(crate) const PROVINCES: [&str; 34] = [
    "Hà Nội",
    "Huế",
    "Lai Châu",
    "Điện Biên",
    "Sơn La",
    "Lạng Sơn",
    "Quảng Ninh",
    "Thanh Hóa",
    "Nghệ An",
    "Hà Tĩnh",
    "Cao Bằng",
    "Tuyên Quang",
    "Lào Cai",
    "Thái Nguyên",
    "Phú Thọ",
    "Bắc Ninh",
    "Hưng Yên",
    "Hải Phòng",
    "Ninh Bình",
    "Quảng Trị",
    "Đà Nẵng",
    "Quảng Ngãi",
    "Gia Lai",
    "Khánh Hòa",
    "Lâm Đồng",
    "Đắk Lắk",
    "Thành phố Hồ Chí Minh",
    "Đồng Nai",
    "Tây Ninh",
    "Cần Thơ",
    "Vĩnh Long",
    "Đồng Tháp",
    "Cà Mau",
    "An Giang",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_drop_diacritics_and_keep_the_kind() {
        assert_eq!(code_for("Xã Đào Xá"), "X-DAO-XA");
        assert_eq!(code_for("Thị trấn Hòn Mây"), "TT-HON-MAY");
        assert_eq!(code_for("Đặc khu Hòn Mây"), "DK-HON-MAY");
        assert_eq!(code_for("Xã Ưng Thuận"), "X-UNG-THUAN");
    }
}
