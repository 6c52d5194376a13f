//! Units (đơn vị), their per-period group membership and their lineage across reorganisations
//! (domain.md §8): hierarchy and groups belong to a period, so past results are never rewritten
//! by today's map of the province.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::ids::{GroupName, UnitCode};

/// What kind of body a unit is; decides which index set usually applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// Tỉnh / thành phố trực thuộc trung ương.
    Province,
    /// Bộ, cơ quan ngang bộ.
    Ministry,
    /// Sở, ban, ngành.
    Department,
    /// UBND cấp huyện (huyện, thị xã, thành phố thuộc tỉnh) — abolished from 1/7/2025.
    District,
    /// Xã.
    Commune,
    /// Phường.
    Ward,
    /// Thị trấn (until 2025).
    Township,
    /// Đặc khu (since 2025).
    SpecialZone,
    /// Anything else the province assesses.
    Other,
}

impl UnitKind {
    /// Parses the Vietnamese or English names used in files: `sở`, `huyện`, `xã`, `department`…
    pub fn parse(raw: &str) -> Option<Self> {
        let k = raw.trim().to_lowercase();
        Some(match k.as_str() {
            "tỉnh" | "tinh" | "thành phố trực thuộc trung ương" | "province" => {
                Self::Province
            }
            "bộ" | "bo" | "ministry" => Self::Ministry,
            "sở" | "so" | "ban" | "ngành" | "sở, ban, ngành" | "department" => {
                Self::Department
            }
            "huyện" | "huyen" | "thị xã" | "thành phố" | "ubnd cấp huyện" | "district" => {
                Self::District
            }
            "xã" | "xa" | "commune" => Self::Commune,
            "phường" | "phuong" | "ward" => Self::Ward,
            "thị trấn" | "thi tran" | "township" => Self::Township,
            "đặc khu" | "dac khu" | "special_zone" | "special zone" => Self::SpecialZone,
            "khác" | "other" => Self::Other,
            _ => return None,
        })
    }

    /// Stable machine name (stored in the database and files).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Province => "province",
            Self::Ministry => "ministry",
            Self::Department => "department",
            Self::District => "district",
            Self::Commune => "commune",
            Self::Ward => "ward",
            Self::Township => "township",
            Self::SpecialZone => "special_zone",
            Self::Other => "other",
        }
    }

    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Province => "Tỉnh",
            Self::Ministry => "Bộ",
            Self::Department => "Sở, ban, ngành",
            Self::District => "Huyện, thị xã, thành phố",
            Self::Commune => "Xã",
            Self::Ward => "Phường",
            Self::Township => "Thị trấn",
            Self::SpecialZone => "Đặc khu",
            Self::Other => "Khác",
        }
    }
}

/// A unit that can be assessed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    pub code: UnitCode,
    pub name: String,
    pub kind: UnitKind,
    /// The unit it belongs to (a commune's district), if any.
    pub parent: Option<UnitCode>,
    /// The unit exists from this date (a merged unit's founding date); `None` = always.
    pub valid_from: Option<Date>,
    /// The unit ceased on this date (merged away, abolished); `None` = still exists.
    pub valid_to: Option<Date>,
}

/// How a unit came from its predecessors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineageKind {
    /// Several predecessors became this unit (sáp nhập).
    Merger,
    /// This unit is one part of a predecessor that was split (chia tách).
    Split,
    /// Same body, new name or code (đổi tên).
    Rename,
}

/// One edge of lineage: `successor` continues `predecessor` from `effective`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Lineage {
    pub predecessor: UnitCode,
    pub successor: UnitCode,
    pub kind: LineageKind,
    pub effective: Option<Date>,
}

/// A unit's membership in a ranking group for one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub unit: UnitCode,
    pub group: GroupName,
    /// Assessed but not ranked when false (domain.md §5).
    pub ranked: bool,
}
