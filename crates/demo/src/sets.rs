//! The demo province's index sets (bộ chỉ số), one per unit level and year, modelled on the
//! provincial sets described in domain.md §3–4: the eight usual areas, appraised and survey
//! blocks of 65/35 (departments), 70/30 (districts) and 60/40 (communes), every scoring method,
//! Vietnamese rule texts and evidence requirements on every leaf, and bonus and deduction blocks.
//!
//! One template serves the three levels: each leaf states its maximum per level (0 = the leaf
//! does not exist at that level), so the sets stay consistent with each other while still
//! differing where real sets differ. Inner maxima are always the sums of their children.

use chiso_domain::fmt::{vi_date, vi_plain};
use chiso_domain::{
    ClassBand, ClassScheme, GroupName, IndexSet, Method, NaPolicy, Node, NodeCode, Points,
    RankingRule, SetCode, Source, TieBreaker, Tier, TierBasis,
};
use rust_decimal::Decimal;
use time::{Date, Month};

/// The unit level an index set is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    /// Sở, ban, ngành.
    Department,
    /// UBND cấp huyện (to 2024).
    District,
    /// UBND cấp xã (with đặc khu from 2025).
    Commune,
}

impl Level {
    fn idx(self) -> usize {
        match self {
            Level::Department => 0,
            Level::District => 1,
            Level::Commune => 2,
        }
    }

    fn code_prefix(self) -> &'static str {
        match self {
            Level::Department => "SO",
            Level::District => "HUYEN",
            Level::Commune => "XA",
        }
    }
}

/// Code of the set used by `level` in `year` (`SO-2024`, `HUYEN-2023`, `XA-2025`).
pub(crate) fn set_code(level: Level, year: i32) -> SetCode {
    SetCode::parse(&format!("{}-{year}", level.code_prefix())).expect("set codes are ASCII")
}

/// Group names shared by the sets (class overrides) and the periods (membership).
pub(crate) const GROUP_DEPARTMENTS: &str = "Sở, ban, ngành";
/// Districts, towns and the provincial city.
pub(crate) const GROUP_DISTRICTS: &str = "UBND cấp huyện";
/// Communes, wards, townships and (from 2025) the special zone.
pub(crate) const GROUP_COMMUNES: &str = "UBND cấp xã";

/// A leaf before it is numbered.
struct Leaf {
    title: String,
    max: Decimal,
    source: Source,
    method: Method,
    rule: String,
    evidence: String,
    na: Option<NaPolicy>,
}

/// An item of an area: a leaf criterion, or a criterion with sub-criteria.
enum Item {
    Leaf(Leaf),
    Criterion(String, Vec<Leaf>),
}

/// Builds the leaves of one set: knows the level and year, picks maxima and writes rule texts.
struct Ctx {
    level: Level,
    year: i32,
}

/// `tenths / 10` as an exact decimal (maxima are written in tenths: 15 = 1,5 điểm).
fn tenths(v: i64) -> Decimal {
    Decimal::new(v, 1).normalize()
}

/// `v / 100` as an exact decimal (points per item: 25 = 0,25 điểm).
fn hundredths(v: i64) -> Decimal {
    Decimal::new(v, 2).normalize()
}

/// `max × permille / 1000`, exact (tier points as shares of the leaf maximum).
fn share(max: Decimal, permille: i64) -> Decimal {
    (max * Decimal::from(permille) / Decimal::from(1000)).normalize()
}

fn pts(d: Decimal) -> String {
    format!("{} điểm", vi_plain(d))
}

fn na_text(na: Option<NaPolicy>) -> &'static str {
    match na {
        Some(NaPolicy::Exclude) => " Không phát sinh: không tính vào tổng điểm tối đa của đơn vị.",
        Some(NaPolicy::FullPoints) => " Không phát sinh: đạt điểm tối đa.",
        None => "",
    }
}

/// A leaf with its rule text completed by the not-applicable policy.
fn make_leaf(
    title: &str,
    max: Decimal,
    source: Source,
    method: Method,
    rule: String,
    evidence: &str,
    na: Option<NaPolicy>,
) -> Leaf {
    Leaf {
        title: title.to_owned(),
        max,
        source,
        method,
        rule: format!("{rule}{}", na_text(na)),
        evidence: evidence.to_owned(),
        na,
    }
}

impl Ctx {
    /// The leaf maximum for this level; `None` when the leaf does not exist at this level.
    fn max(&self, maxes: [i64; 3]) -> Option<Decimal> {
        let v = maxes[self.level.idx()];
        (v > 0).then(|| tenths(v))
    }

    /// The same title for every level, or one per level.
    fn pick<'a>(&self, titles: [&'a str; 3]) -> &'a str {
        titles[self.level.idx()]
    }

    /// "Có …: điểm tối đa; không …: 0".
    fn yes_no(
        &self,
        title: &str,
        maxes: [i64; 3],
        yes: &str,
        no: &str,
        evidence: &str,
        na: Option<NaPolicy>,
    ) -> Option<Leaf> {
        let max = self.max(maxes)?;
        let rule = format!("{yes}: {}; {no}: 0 điểm.", pts(max));
        Some(make_leaf(
            title,
            max,
            Source::Assessed,
            Method::YesNo,
            rule,
            evidence,
            na,
        ))
    }

    /// "Mỗi … đạt `per` điểm, tối đa điểm của tiêu chí".
    fn count(
        &self,
        title: &str,
        maxes: [i64; 3],
        per: i64,
        what: &str,
        evidence: &str,
    ) -> Option<Leaf> {
        let max = self.max(maxes)?;
        let per = hundredths(per);
        let rule = format!("Mỗi {what} đạt {}, tối đa {}.", pts(per), pts(max));
        let method = Method::Count { per, cap: None };
        Some(make_leaf(
            title,
            max,
            Source::Assessed,
            method,
            rule,
            evidence,
            None,
        ))
    }

    /// Tiers on a percentage; `tiers` are `(minimum %, share of the maximum in ‰)`, highest
    /// first, the last one starting at 0.
    #[allow(clippy::too_many_arguments)] // mirrors the columns of a published set
    fn tiers_pct(
        &self,
        title: &str,
        maxes: [i64; 3],
        source: Source,
        measure: &str,
        tiers: &[(i64, i64)],
        evidence: &str,
        na: Option<NaPolicy>,
    ) -> Option<Leaf> {
        let max = self.max(maxes)?;
        let (tiers, text) = tiers_with_text(max, tiers, " %", |min| {
            if min == 100 {
                "đạt 100 %".to_owned()
            } else {
                format!("từ {min} % trở lên")
            }
        });
        let rule = format!("{measure} {text}.");
        let method = Method::Tiers {
            basis: TierBasis::Percent,
            tiers,
        };
        Some(make_leaf(title, max, source, method, rule, evidence, na))
    }

    /// Tiers on a count; `tiers` as in [`Ctx::tiers_pct`].
    fn tiers_count(
        &self,
        title: &str,
        maxes: [i64; 3],
        measure: &str,
        tiers: &[(i64, i64)],
        evidence: &str,
    ) -> Option<Leaf> {
        let max = self.max(maxes)?;
        let (tiers, text) = tiers_with_text(max, tiers, "", |min| format!("từ {min} trở lên"));
        let rule = format!("{measure} {text}.");
        let method = Method::Tiers {
            basis: TierBasis::Count,
            tiers,
        };
        Some(make_leaf(
            title,
            max,
            Source::Assessed,
            method,
            rule,
            evidence,
            None,
        ))
    }

    /// Tiers on the number of incidents, fewer being better: none gives the maximum,
    /// 1–2 half of it, 3 or more nothing.
    fn incidents(&self, title: &str, maxes: [i64; 3], what: &str, evidence: &str) -> Option<Leaf> {
        let max = self.max(maxes)?;
        let half = share(max, 500);
        let tiers = vec![
            Tier {
                min: Decimal::ZERO,
                below: Some(Decimal::ONE),
                points: max,
            },
            Tier {
                min: Decimal::ONE,
                below: Some(Decimal::from(3)),
                points: half,
            },
            Tier {
                min: Decimal::from(3),
                below: None,
                points: Decimal::ZERO,
            },
        ];
        let rule = format!(
            "Không để xảy ra {what}: {}; có 1–2 {what}: {}; từ 3 {what} trở lên: 0 điểm.",
            pts(max),
            pts(half)
        );
        let method = Method::Tiers {
            basis: TierBasis::Count,
            tiers,
        };
        Some(make_leaf(
            title,
            max,
            Source::Assessed,
            method,
            rule,
            evidence,
            None,
        ))
    }

    /// Tiers on the days a report was sent after its deadline.
    fn days_late(
        &self,
        title: &str,
        maxes: [i64; 3],
        report: &str,
        deadline: Date,
        evidence: &str,
    ) -> Option<Leaf> {
        let max = self.max(maxes)?;
        let half = share(max, 500);
        let tiers = vec![
            Tier {
                min: Decimal::ZERO,
                below: Some(Decimal::ONE),
                points: max,
            },
            Tier {
                min: Decimal::ONE,
                below: Some(Decimal::from(11)),
                points: half,
            },
            Tier {
                min: Decimal::from(11),
                below: None,
                points: Decimal::ZERO,
            },
        ];
        let rule = format!(
            "Gửi {report} đúng hạn (trước hoặc trong ngày {}): {}; trễ từ 1 đến 10 ngày: {}; \
             trễ trên 10 ngày hoặc không gửi: 0 điểm.",
            vi_date(deadline),
            pts(max),
            pts(half)
        );
        let method = Method::Tiers {
            basis: TierBasis::DaysLate { deadline },
            tiers,
        };
        Some(make_leaf(
            title,
            max,
            Source::Assessed,
            method,
            rule,
            evidence,
            None,
        ))
    }

    /// Points = max × ratio.
    fn proportional(
        &self,
        title: &str,
        maxes: [i64; 3],
        source: Source,
        ratio: &str,
        evidence: &str,
        na: Option<NaPolicy>,
    ) -> Option<Leaf> {
        let max = self.max(maxes)?;
        let rule = format!("Điểm = {} × {ratio}.", vi_plain(max));
        Some(make_leaf(
            title,
            max,
            source,
            Method::Proportional,
            rule,
            evidence,
            na,
        ))
    }

    /// Graded: xuất sắc 100 %, tốt 75 %, hoàn thành 50 %, không hoàn thành 0 of the maximum.
    fn graded(
        &self,
        title: &str,
        maxes: [i64; 3],
        what: &str,
        evidence: &str,
        na: Option<NaPolicy>,
    ) -> Option<Leaf> {
        let max = self.max(maxes)?;
        let rule = format!(
            "{what}: hoàn thành xuất sắc {}; hoàn thành tốt {}; hoàn thành {}; \
             không hoàn thành 0 điểm.",
            pts(max),
            pts(share(max, 750)),
            pts(share(max, 500))
        );
        let method = Method::Graded {
            grades: Method::default_grades(),
        };
        Some(make_leaf(
            title,
            max,
            Source::Assessed,
            method,
            rule,
            evidence,
            na,
        ))
    }

    /// Deduction from the leaf maximum, floored at 0.
    fn deduction(
        &self,
        title: &str,
        maxes: [i64; 3],
        per: i64,
        what: &str,
        evidence: &str,
    ) -> Option<Leaf> {
        let max = self.max(maxes)?;
        let per = hundredths(per);
        let rule = format!(
            "Không có {what}: {}; mỗi {what} trừ {}, tối đa trừ hết điểm của tiêu chí.",
            pts(max),
            pts(per)
        );
        let method = Method::Deduction { per };
        Some(make_leaf(
            title,
            max,
            Source::Assessed,
            method,
            rule,
            evidence,
            None,
        ))
    }

    /// Appraiser's judgement in steps of 0,25.
    fn manual(&self, title: &str, maxes: [i64; 3], guidance: &str, evidence: &str) -> Option<Leaf> {
        let max = self.max(maxes)?;
        let rule = format!(
            "{guidance} Tổ thẩm định chấm từ 0 đến {}, bước chấm 0,25 điểm.",
            pts(max)
        );
        let method = Method::Manual {
            step: Some(Decimal::new(25, 2)),
        };
        Some(make_leaf(
            title,
            max,
            Source::Assessed,
            method,
            rule,
            evidence,
            None,
        ))
    }

    /// Survey-sourced: max × mean answer weight of the respondents named.
    fn survey(&self, title: &str, maxes: [i64; 3], respondents: &str) -> Option<Leaf> {
        let max = self.max(maxes)?;
        let rule = format!(
            "Điểm = {} × tỷ lệ trung bình các câu trả lời hợp lệ của {respondents} \
             (A = 100 %, B = 60 %, C = 20 %, D = 0 %; phương án E \"không biết\" không tính).",
            vi_plain(max)
        );
        let evidence = "Kết quả điều tra xã hội học do Sở Nội vụ tổng hợp (đơn vị không phải nộp).";
        Some(make_leaf(
            title,
            max,
            Source::Survey,
            Method::Survey,
            rule,
            evidence,
            None,
        ))
    }

    /// The three survey titles of the impact area, by respondent group.
    fn leaders(&self) -> &'static str {
        self.pick([
            "lãnh đạo UBND cấp huyện, cấp xã về chất lượng phối hợp, hướng dẫn của sở",
            "đại biểu HĐND tỉnh, lãnh đạo các sở và UBND cấp xã",
            "đại biểu HĐND cấp xã, trưởng thôn, tổ trưởng tổ dân phố",
        ])
    }

    fn subordinates(&self) -> &'static str {
        self.pick(["đơn vị trực thuộc", "cơ quan chuyên môn và UBND cấp xã", ""])
    }
}

/// Builds tiers from `(min, ‰ of max)` pairs (highest first) and their Vietnamese text.
fn tiers_with_text(
    max: Decimal,
    pairs: &[(i64, i64)],
    unit: &str,
    top: impl Fn(i64) -> String,
) -> (Vec<Tier>, String) {
    let mut tiers = Vec::with_capacity(pairs.len());
    let mut parts = Vec::with_capacity(pairs.len());
    for (i, &(min, permille)) in pairs.iter().enumerate() {
        let points = share(max, permille);
        tiers.push(Tier {
            min: Decimal::from(min),
            below: None,
            points,
        });
        let range = if i == 0 {
            top(min)
        } else if min == 0 {
            format!("dưới {}{unit}", pairs[i - 1].0)
        } else {
            format!("từ {min}{unit} đến dưới {}{unit}", pairs[i - 1].0)
        };
        parts.push(format!("{range}: {}", pts(points)));
    }
    (tiers, parts.join("; "))
}

/// Deadline of the yearly reform report (10 December of the assessed year).
fn report_deadline(year: i32) -> Date {
    Date::from_calendar_date(year, Month::December, 10).expect("valid date")
}

/// The areas of the set for `level` in `year`, before numbering.
fn areas(c: &Ctx) -> Vec<(String, Vec<Option<Item>>)> {
    let y = c.year;
    let after_2025 = y >= 2025;
    let na_ex = Some(NaPolicy::Exclude);
    let na_full = Some(NaPolicy::FullPoints);
    let data = Source::Data;

    // Area 1 — direction and steering.
    let plan = vec![
        c.yes_no(
            "Ban hành kế hoạch CCHC năm kịp thời",
            [10, 10, 10],
            "Ban hành kế hoạch CCHC năm trong Quý I",
            "ban hành sau Quý I hoặc không ban hành",
            "Kế hoạch CCHC năm (số, ngày ban hành).",
            None,
        ),
        c.tiers_pct(
            "Mức độ hoàn thành kế hoạch CCHC năm",
            [20, 20, 20],
            Source::Assessed,
            "Tỷ lệ nhiệm vụ của kế hoạch CCHC hoàn thành đúng tiến độ",
            &[(100, 1000), (80, 500), (0, 0)],
            "Báo cáo kết quả thực hiện kế hoạch, kèm danh mục nhiệm vụ và tình trạng.",
            None,
        ),
    ];
    let a1 = vec![
        criterion("Kế hoạch CCHC năm", plan),
        leaf(c.days_late(
            "Báo cáo CCHC năm gửi đúng thời hạn",
            [15, 15, 15],
            "báo cáo CCHC năm",
            report_deadline(y),
            "Báo cáo CCHC năm và văn bản, thư điện tử gửi kèm (ngày gửi).",
        )),
        leaf(c.proportional(
            &format!(
                "Tỷ lệ {} được kiểm tra CCHC theo kế hoạch",
                c.subordinates()
            ),
            [15, 20, 0],
            Source::Assessed,
            "số đơn vị được kiểm tra ÷ số đơn vị theo kế hoạch kiểm tra",
            "Kế hoạch kiểm tra CCHC; biên bản, kết luận kiểm tra.",
            na_ex,
        )),
        leaf(c.manual(
            "Chỉ đạo, hướng dẫn UBND cấp xã thực hiện nhiệm vụ CCHC",
            [0, 20, 0],
            "Đánh giá mức độ kịp thời, đầy đủ của văn bản chỉ đạo, hướng dẫn cấp xã.",
            "Các văn bản chỉ đạo, hướng dẫn UBND cấp xã về CCHC trong năm.",
        )),
        leaf(c.yes_no(
            "Thực hiện quy chế dân chủ ở cơ sở",
            [0, 0, if after_2025 { 0 } else { 15 }],
            "Ban hành và thực hiện đầy đủ quy chế dân chủ ở cơ sở",
            "không ban hành hoặc thực hiện không đầy đủ",
            "Quy chế dân chủ ở cơ sở; báo cáo kết quả thực hiện.",
            None,
        )),
        leaf(c.manual(
            "Công tác tuyên truyền CCHC",
            [if after_2025 { 0 } else { 20 }, 15, 15],
            "Đánh giá theo số lượng, hình thức và mức độ phù hợp của hoạt động tuyên truyền.",
            "Kế hoạch tuyên truyền CCHC; tin, bài, hình ảnh, đường dẫn minh chứng.",
        )),
        leaf(c.survey(
            "Đánh giá về công tác chỉ đạo, điều hành CCHC",
            [20, 20, 30],
            c.leaders(),
        )),
    ];

    // Area 2 — institutional reform.
    let review = vec![
        c.proportional(
            "Mức độ hoàn thành kế hoạch rà soát, hệ thống hóa văn bản QPPL",
            [15, 15, 10],
            Source::Assessed,
            "tỷ lệ văn bản đã rà soát so với kế hoạch",
            "Kế hoạch rà soát; báo cáo kết quả rà soát, hệ thống hóa.",
            None,
        ),
        c.graded(
            "Xử lý kết quả rà soát văn bản QPPL",
            [10, 10, 10],
            "Mức độ kiến nghị, xử lý kịp thời văn bản phát hiện qua rà soát",
            "Văn bản kiến nghị sửa đổi, bổ sung, thay thế, bãi bỏ.",
            na_full,
        ),
    ];
    let a2 = vec![
        leaf(c.tiers_pct(
            c.pick([
                "Tỷ lệ văn bản QPPL được tham mưu ban hành đúng tiến độ",
                "Tỷ lệ văn bản QPPL của HĐND, UBND cấp huyện ban hành đúng tiến độ",
                "Tỷ lệ nghị quyết, quyết định của HĐND, UBND cấp xã ban hành đúng tiến độ",
            ]),
            [30, 20, 20],
            Source::Assessed,
            "Tỷ lệ văn bản ban hành đúng tiến độ so với chương trình được giao",
            &[(100, 1000), (80, 500), (0, 0)],
            "Danh mục văn bản được giao, văn bản đã ban hành (số, ngày).",
            na_ex,
        )),
        criterion("Rà soát, hệ thống hóa văn bản QPPL", review),
        leaf(c.manual(
            "Theo dõi tình hình thi hành pháp luật",
            [15, 15, 15],
            "Đánh giá việc ban hành kế hoạch, tổ chức theo dõi và báo cáo thi hành pháp luật.",
            "Kế hoạch và báo cáo theo dõi tình hình thi hành pháp luật.",
        )),
        leaf(c.survey(
            "Đánh giá về chất lượng ban hành và tổ chức thực thi văn bản",
            [30, 30, 40],
            c.leaders(),
        )),
    ];

    // Area 3 — administrative procedures.
    let control = vec![
        c.yes_no(
            "Công khai TTHC đầy đủ, đúng quy định",
            [10, 10, 15],
            "Công khai đầy đủ, đúng quy định tại Bộ phận một cửa và trên Cổng dịch vụ công",
            "công khai không đầy đủ hoặc không đúng quy định",
            "Ảnh chụp nơi công khai; đường dẫn trên Cổng dịch vụ công.",
            None,
        ),
        c.count(
            "Phương án đơn giản hóa TTHC được thông qua",
            [10, 10, 10],
            50,
            "phương án đơn giản hóa được cấp có thẩm quyền thông qua",
            "Văn bản đề xuất phương án; quyết định thông qua phương án.",
        ),
    ];
    let one_stop = vec![
        c.tiers_pct(
            "Tỷ lệ hồ sơ TTHC giải quyết đúng hạn",
            [20, 30, 30],
            data,
            "Tỷ lệ hồ sơ giải quyết đúng hạn trên tổng số hồ sơ đã giải quyết",
            &[(100, 1000), (95, 750), (90, 500), (0, 0)],
            "Số liệu trên Hệ thống thông tin giải quyết TTHC của tỉnh (trích xuất cuối kỳ).",
            None,
        ),
        c.deduction(
            "Hồ sơ trễ hạn có văn bản xin lỗi người dân, tổ chức",
            [10, 10, 10],
            25,
            "hồ sơ trễ hạn thiếu văn bản xin lỗi",
            "Danh sách hồ sơ trễ hạn và văn bản xin lỗi tương ứng.",
        ),
        c.tiers_count(
            "Hồ sơ tiếp nhận, trả kết quả qua dịch vụ bưu chính công ích",
            [10, 10, 10],
            "Số hồ sơ tiếp nhận hoặc trả kết quả qua dịch vụ bưu chính công ích trong năm",
            &[(100, 1000), (20, 500), (0, 0)],
            "Sổ theo dõi hồ sơ; số liệu của bưu điện.",
        ),
        c.proportional(
            if y >= 2024 {
                "Tỷ lệ số hóa hồ sơ, kết quả giải quyết TTHC và tái sử dụng dữ liệu"
            } else {
                "Tỷ lệ số hóa hồ sơ, kết quả giải quyết TTHC"
            },
            [20, 20, 20],
            data,
            "tỷ lệ hồ sơ được số hóa trên tổng số hồ sơ tiếp nhận",
            "Số liệu trên Hệ thống thông tin giải quyết TTHC của tỉnh.",
            None,
        ),
        c.yes_no(
            "Bố trí Bộ phận một cửa đúng quy định",
            [0, 0, 10],
            "Bộ phận một cửa được bố trí đủ diện tích, trang thiết bị, nhân sự theo quy định",
            "bố trí chưa đúng quy định",
            "Quyết định thành lập Bộ phận một cửa; ảnh chụp, danh mục trang thiết bị.",
            None,
        ),
    ];
    let a3 = vec![
        criterion("Kiểm soát TTHC", control),
        criterion("Thực hiện cơ chế một cửa, một cửa liên thông", one_stop),
        leaf(c.yes_no(
            "Xử lý phản ánh, kiến nghị về quy định hành chính",
            [10, 10, 10],
            "Xử lý 100 % phản ánh, kiến nghị đúng hạn",
            "có phản ánh, kiến nghị xử lý quá hạn",
            "Sổ theo dõi, văn bản trả lời phản ánh, kiến nghị.",
            na_full,
        )),
        leaf(c.tiers_pct(
            if y <= 2022 {
                "Tỷ lệ hồ sơ TTHC tiếp nhận trực tuyến mức độ 3, 4"
            } else {
                "Tỷ lệ hồ sơ TTHC tiếp nhận trực tuyến"
            },
            [30, 30, 20],
            data,
            "Tỷ lệ hồ sơ tiếp nhận trực tuyến trên tổng số hồ sơ tiếp nhận",
            &[(50, 1000), (30, 500), (20, 250), (0, 0)],
            "Số liệu trên Cổng dịch vụ công của tỉnh.",
            None,
        )),
        leaf(c.survey(
            "Mức độ hài lòng của người dân, tổ chức đối với việc giải quyết TTHC",
            [40, 40, 60],
            "người dân, tổ chức đã giao dịch tại Bộ phận một cửa",
        )),
    ];

    // Area 4 — organisation of the apparatus.
    let a4 = vec![
        leaf(c.graded(
            if after_2025 {
                "Sắp xếp tổ chức bộ máy tinh gọn theo Nghị quyết số 18-NQ/TW"
            } else {
                "Sắp xếp tổ chức bộ máy theo quy định"
            },
            [30, 30, 20],
            "Mức độ sắp xếp, kiện toàn tổ chức đúng quy định và tiến độ",
            "Quyết định quy định chức năng, nhiệm vụ, cơ cấu tổ chức; báo cáo sắp xếp.",
            None,
        )),
        leaf(c.yes_no(
            "Thực hiện quy định về vị trí việc làm và biên chế",
            [30, 30, 20],
            "Sử dụng biên chế không vượt số được giao, đúng vị trí việc làm được phê duyệt",
            "vượt biên chế hoặc bố trí sai vị trí việc làm",
            "Quyết định giao biên chế; danh sách công chức theo vị trí việc làm.",
            None,
        )),
        leaf(c.survey("Đánh giá về tổ chức bộ máy", [20, 20, 20], c.leaders())),
    ];

    // Area 5 — civil service.
    let staff = vec![
        c.yes_no(
            "Tuyển dụng, bố trí công chức theo vị trí việc làm",
            [10, 10, 10],
            "Tuyển dụng, bố trí đúng vị trí việc làm và quy định",
            "có trường hợp tuyển dụng, bố trí sai quy định",
            "Quyết định tuyển dụng, bố trí; đề án vị trí việc làm.",
            na_ex,
        ),
        c.proportional(
            "Tỷ lệ công chức được đánh giá, xếp loại đúng quy định",
            [10, 10, 10],
            Source::Assessed,
            "số công chức được đánh giá đúng quy định ÷ tổng số công chức",
            "Kết quả đánh giá, xếp loại chất lượng cán bộ, công chức năm.",
            None,
        ),
    ];
    let a5 = vec![
        criterion("Tuyển dụng, sử dụng công chức", staff),
        leaf(c.tiers_pct(
            "Tỷ lệ công chức được bồi dưỡng theo kế hoạch",
            [20, 20, 20],
            Source::Assessed,
            "Tỷ lệ công chức được bồi dưỡng so với kế hoạch",
            &[(100, 1000), (80, 500), (0, 0)],
            "Kế hoạch bồi dưỡng; danh sách, chứng chỉ hoàn thành.",
            None,
        )),
        leaf(c.deduction(
            "Cán bộ, công chức bị xử lý kỷ luật",
            [20, 20, 20],
            100,
            "cán bộ, công chức bị xử lý kỷ luật trong năm",
            "Quyết định kỷ luật (nếu có); báo cáo công tác cán bộ.",
        )),
        leaf(c.graded(
            "Thực hiện văn hóa công vụ",
            [20, 20, 10],
            "Mức độ thực hiện quy tắc ứng xử, văn hóa công vụ",
            "Kế hoạch thực hiện văn hóa công vụ; báo cáo kết quả.",
            None,
        )),
        leaf(c.survey(
            "Đánh giá về tinh thần, thái độ phục vụ của cán bộ, công chức",
            [30, 30, 50],
            "người dân, tổ chức có giao dịch với đơn vị",
        )),
    ];

    // Area 6 — public finance.
    let a6 = vec![
        leaf(c.tiers_pct(
            "Tỷ lệ giải ngân vốn đầu tư công được giao",
            [20, 30, 20],
            data,
            "Tỷ lệ giải ngân đến 31/01 năm sau",
            &[(98, 1000), (90, 500), (0, 0)],
            "Số liệu giải ngân của Kho bạc Nhà nước.",
            na_ex,
        )),
        leaf(c.yes_no(
            "Công khai dự toán, quyết toán ngân sách đúng quy định",
            [10, 10, 15],
            "Công khai đầy đủ, đúng thời hạn",
            "không công khai hoặc công khai không đúng quy định",
            "Quyết định công bố công khai; đường dẫn trang thông tin điện tử.",
            None,
        )),
        leaf(c.manual(
            "Thực hành tiết kiệm, chống lãng phí",
            [30, 30, 30],
            "Đánh giá việc ban hành chương trình và kết quả tiết kiệm, chống lãng phí.",
            "Chương trình thực hành tiết kiệm, chống lãng phí; báo cáo kết quả.",
        )),
        leaf(c.survey(
            "Đánh giá về quản lý tài chính công",
            [10, 10, 20],
            c.leaders(),
        )),
    ];

    // Area 7 — e-government and digital government.
    let a7 = vec![
        leaf(c.proportional(
            "Tỷ lệ văn bản đi được ký số, gửi trên môi trường mạng",
            [20, 20, 20],
            data,
            "số văn bản đi được ký số, gửi điện tử ÷ tổng số văn bản đi",
            "Số liệu trên hệ thống quản lý văn bản và điều hành.",
            None,
        )),
        leaf(c.tiers_pct(
            if y <= 2022 {
                "Tỷ lệ TTHC cung cấp dịch vụ công trực tuyến mức độ 3, 4"
            } else {
                "Tỷ lệ TTHC cung cấp dịch vụ công trực tuyến toàn trình"
            },
            if after_2025 {
                [40, 0, 30]
            } else {
                [30, 30, 20]
            },
            data,
            "Tỷ lệ TTHC cung cấp trực tuyến trên tổng số TTHC thuộc thẩm quyền",
            &[(80, 1000), (50, 500), (30, 250), (0, 0)],
            "Danh mục dịch vụ công trực tuyến trên Cổng dịch vụ công.",
            None,
        )),
        leaf(c.graded(
            "Cổng/Trang thông tin điện tử cập nhật đầy đủ, kịp thời",
            [20, 20, 20],
            "Mức độ cập nhật thông tin theo quy định",
            "Đường dẫn Cổng/Trang thông tin điện tử; báo cáo cập nhật thông tin.",
            None,
        )),
        leaf(c.incidents(
            "Bảo đảm an toàn thông tin mạng",
            [20, 20, 10],
            "sự cố mất an toàn thông tin",
            "Báo cáo công tác bảo đảm an toàn thông tin; xác nhận của cơ quan chuyên trách.",
        )),
        leaf(c.manual(
            if y <= 2022 {
                "Ứng dụng phần mềm quản lý văn bản và điều hành"
            } else {
                "Triển khai Đề án 06 về dữ liệu dân cư, định danh và xác thực điện tử"
            },
            if after_2025 {
                [30, 0, 25]
            } else {
                [20, 20, 20]
            },
            "Đánh giá mức độ triển khai các nhiệm vụ được giao.",
            "Báo cáo kết quả triển khai; số liệu khai thác, sử dụng dữ liệu.",
        )),
        leaf(c.survey(
            "Đánh giá về xây dựng chính quyền số",
            [30, 30, 40],
            c.leaders(),
        )),
    ];

    // Area 8 — impact.
    let a8 = vec![
        leaf(c.tiers_pct(
            c.pick([
                "Mức độ hoàn thành nhiệm vụ UBND tỉnh giao",
                "Mức độ hoàn thành nhiệm vụ UBND tỉnh giao",
                "Mức độ hoàn thành nhiệm vụ UBND cấp trên giao",
            ]),
            [30, 30, 40],
            Source::Assessed,
            "Tỷ lệ nhiệm vụ được giao hoàn thành đúng hạn",
            &[(100, 1000), (90, 500), (80, 250), (0, 0)],
            "Số liệu theo dõi nhiệm vụ trên hệ thống quản lý văn bản và điều hành.",
            None,
        )),
        leaf(c.graded(
            c.pick([
                "Tác động của CCHC đến phát triển ngành, lĩnh vực quản lý",
                "Tác động của CCHC đến thu hút đầu tư, thu ngân sách trên địa bàn",
                "Thực hiện các chỉ tiêu phát triển kinh tế - xã hội do HĐND cấp xã giao",
            ]),
            [40, 60, 30],
            "Mức độ hoàn thành các chỉ tiêu",
            "Báo cáo kinh tế - xã hội năm; số liệu thống kê.",
            None,
        )),
        leaf(c.survey(
            "Chỉ số hài lòng của người dân, tổ chức đối với sự phục vụ của cơ quan hành chính (SIPAS)",
            [100, 70, 80],
            "người dân, tổ chức được khảo sát SIPAS",
        )),
        leaf(c.survey("Đánh giá của lãnh đạo về tác động của CCHC", [70, 50, 60], c.leaders())),
    ];

    // Areas 9 and 10 — bonus and deduction blocks, outside the applicable maximum; each block
    // holds leaves of its own source only, so its cap cannot touch ordinary points.
    let a9 = vec![leaf(c.max([20, 20, 10]).map(|max| {
        make_leaf(
            "Sáng kiến, giải pháp CCHC được cấp có thẩm quyền công nhận",
            max,
            Source::Bonus,
            Method::Bonus,
            format!(
                "Mỗi sáng kiến, giải pháp được công nhận cộng 0,5 điểm, tối đa {}; \
                     không tính vào tổng điểm tối đa.",
                pts(max)
            ),
            "Quyết định công nhận sáng kiến, giải pháp.",
            None,
        )
    }))];
    let a10 = vec![leaf(c.max([20, 20, 10]).map(|max| {
        make_leaf(
            "Bị cấp có thẩm quyền phê bình, nhắc nhở về CCHC",
            max,
            Source::Deduction,
            Method::Deduction {
                per: Decimal::new(5, 1),
            },
            format!(
                "Mỗi lần bị phê bình, nhắc nhở bằng văn bản trừ 0,5 điểm, tối đa trừ {}.",
                pts(max)
            ),
            "Văn bản phê bình, nhắc nhở (nếu có).",
            None,
        )
    }))];

    vec![
        ("Công tác chỉ đạo, điều hành CCHC".to_owned(), a1),
        ("Cải cách thể chế".to_owned(), a2),
        ("Cải cách thủ tục hành chính".to_owned(), a3),
        ("Cải cách tổ chức bộ máy hành chính".to_owned(), a4),
        ("Cải cách chế độ công vụ".to_owned(), a5),
        ("Cải cách tài chính công".to_owned(), a6),
        (
            "Xây dựng chính quyền điện tử, chính quyền số".to_owned(),
            a7,
        ),
        (
            "Tác động của CCHC đến phát triển kinh tế - xã hội".to_owned(),
            a8,
        ),
        ("Điểm thưởng".to_owned(), a9),
        ("Điểm trừ".to_owned(), a10),
    ]
}

fn leaf(l: Option<Leaf>) -> Option<Item> {
    l.map(Item::Leaf)
}

fn criterion(title: &str, leaves: Vec<Option<Leaf>>) -> Option<Item> {
    let leaves: Vec<Leaf> = leaves.into_iter().flatten().collect();
    match leaves.len() {
        0 => None,
        _ => Some(Item::Criterion(title.to_owned(), leaves)),
    }
}

fn node_code(parts: &[usize]) -> NodeCode {
    let s: Vec<String> = parts.iter().map(ToString::to_string).collect();
    NodeCode::parse(&s.join(".")).expect("numeric node codes")
}

fn leaf_node(code: NodeCode, l: Leaf) -> Node {
    Node {
        code,
        title: l.title,
        max: Points(l.max),
        source: l.source,
        method: Some(l.method),
        rule: Some(l.rule),
        evidence: Some(l.evidence),
        not_applicable: l.na,
        children: Vec::new(),
    }
}

/// An inner node whose max is the sum of its children's and whose source is the one most of
/// its leaves have.
fn inner_node(code: NodeCode, title: String, children: Vec<Node>) -> Node {
    let max: Points = children.iter().map(|c| c.max).sum();
    let leaves: Vec<Source> = children
        .iter()
        .flat_map(|c| c.walk())
        .filter(|n| n.is_leaf())
        .map(|n| n.source)
        .collect();
    // Ties go to the source listed first.
    let order = [
        Source::Assessed,
        Source::Survey,
        Source::Data,
        Source::Bonus,
        Source::Deduction,
    ];
    let source = order
        .iter()
        .enumerate()
        .max_by_key(|(i, s)| {
            (
                leaves.iter().filter(|l| l == s).count(),
                std::cmp::Reverse(*i),
            )
        })
        .map_or(Source::Assessed, |(_, s)| *s);
    Node {
        code,
        title,
        max,
        source,
        method: None,
        rule: None,
        evidence: None,
        not_applicable: None,
        children,
    }
}

/// Numbers the areas, criteria and sub-criteria (`1`, `1.2`, `1.2.3`) of one set.
fn number(areas: Vec<(String, Vec<Option<Item>>)>) -> Vec<Node> {
    let mut out = Vec::new();
    for (ai, (title, items)) in areas.into_iter().enumerate() {
        let mut children = Vec::new();
        for (ci, item) in items.into_iter().flatten().enumerate() {
            let code = [ai + 1, ci + 1];
            children.push(match item {
                Item::Leaf(l) => leaf_node(node_code(&code), l),
                Item::Criterion(t, leaves) => {
                    let subs = leaves
                        .into_iter()
                        .enumerate()
                        .map(|(li, l)| leaf_node(node_code(&[ai + 1, ci + 1, li + 1]), l))
                        .collect();
                    inner_node(node_code(&code), t, subs)
                }
            });
        }
        out.push(inner_node(node_code(&[ai + 1]), title, children));
    }
    out
}

fn band(label: &str, min: i64) -> ClassBand {
    ClassBand {
        label: label.to_owned(),
        min: Decimal::from(min),
    }
}

/// The decision that issued each set (fictional numbers).
fn decision(level: Level, year: i32) -> &'static str {
    match (level, year) {
        (Level::Department, 2022) => "Quyết định số 1285/QĐ-UBND ngày 28/4/2022",
        (Level::District, 2022) => "Quyết định số 1286/QĐ-UBND ngày 28/4/2022",
        (Level::Commune, 2022) => "Quyết định số 1402/QĐ-UBND ngày 12/5/2022",
        (Level::Department, 2023) => "Quyết định số 987/QĐ-UBND ngày 14/4/2023",
        (Level::District, 2023) => "Quyết định số 988/QĐ-UBND ngày 14/4/2023",
        (Level::Commune, 2023) => "Quyết định số 1120/QĐ-UBND ngày 05/5/2023",
        (Level::Department, 2024) => "Quyết định số 1843/QĐ-UBND ngày 20/5/2024",
        (Level::District, 2024) => "Quyết định số 1844/QĐ-UBND ngày 20/5/2024",
        (Level::Commune, 2024) => "Quyết định số 2161/QĐ-UBND ngày 11/6/2024",
        (Level::Department, 2025) => "Quyết định số 1517/QĐ-UBND ngày 25/7/2025",
        (_, 2025) => "Quyết định số 1602/QĐ-UBND ngày 08/8/2025",
        (Level::Department, _) => "Quyết định số 2314/QĐ-UBND ngày 19/12/2025",
        (_, _) => "Quyết định số 2315/QĐ-UBND ngày 19/12/2025",
    }
}

/// The name of the set for `level` in `year`, marked as demo data.
fn set_name(level: Level, year: i32) -> String {
    let name = match level {
        Level::Department => format!("Bộ Chỉ số CCHC của các sở, ban, ngành năm {year}"),
        Level::District => {
            format!("Bộ Chỉ số CCHC của UBND các huyện, thị xã, thành phố năm {year}")
        }
        Level::Commune if year >= 2025 => {
            format!("Bộ Chỉ số CCHC của UBND các xã, phường, đặc khu năm {year}")
        }
        Level::Commune => format!("Bộ Chỉ số CCHC của UBND các xã, phường, thị trấn năm {year}"),
    };
    format!("{name} (dữ liệu mẫu)")
}

/// The set for `level` in `year`, issued as `last` (the set of the year before) with its
/// deadlines moved to `year`: the way a province clones last year's set when the criteria do
/// not change, so a report sent on time in `year` is on time ([`IndexSet::shift_dates`]).
///
/// # Panics
/// If a deadline of `last` cannot move (a bug of the demo: its deadlines are ordinary days).
pub(crate) fn next_year_set(last: &IndexSet, level: Level, year: i32) -> IndexSet {
    let mut set = last.clone();
    set.shift_dates(year - last.year)
        .expect("the demo's deadlines move to any nearby year");
    set.code = set_code(level, year);
    set.name = set_name(level, year);
    set.year = year;
    set.decision = Some(decision(level, year).to_owned());
    set
}

/// The index set for `level` in `year` (2022–2025; no district set from 2025).
pub(crate) fn index_set(level: Level, year: i32) -> IndexSet {
    let c = Ctx { level, year };
    let mut classes = ClassScheme::common_default();
    // In 2023 the province was stricter with districts: xuất sắc needed 95 %, not 90 %
    // (class bands are configured per set and per group, domain.md §5).
    if level == Level::District && year == 2023 {
        classes.groups.insert(
            GroupName::parse(GROUP_DISTRICTS).expect("group name"),
            vec![
                band("Xuất sắc", 95),
                band("Tốt", 80),
                band("Khá", 70),
                band("Trung bình", 50),
                band("Yếu", 0),
            ],
        );
    }
    // From 2024 departments with the same published index are separated by appraised points,
    // then survey points, as the 2024 decision provides.
    let ranking = if level == Level::Department && year >= 2024 {
        RankingRule {
            tie_breakers: vec![
                TieBreaker::SourcePoints(Source::Assessed),
                TieBreaker::SourcePoints(Source::Survey),
            ],
        }
    } else {
        RankingRule::default()
    };
    IndexSet {
        code: set_code(level, year),
        name: set_name(level, year),
        year,
        decision: Some(decision(level, year).to_owned()),
        classes,
        ranking,
        renormalise_absent_areas: false,
        nodes: number(areas(&c)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(set: &IndexSet) -> (Decimal, Decimal, usize) {
        let leaves: Vec<&Node> = set
            .nodes
            .iter()
            .flat_map(Node::walk)
            .filter(|n| n.is_leaf())
            .collect();
        let sum = |s: Source| {
            leaves
                .iter()
                .filter(|l| l.source == s)
                .map(|l| l.max.value())
                .sum()
        };
        let appraised: Decimal = sum(Source::Assessed) + sum(Source::Data);
        (appraised, sum(Source::Survey), leaves.len())
    }

    #[test]
    fn sets_have_the_provincial_appraisal_and_survey_splits() {
        for year in 2022..=2025 {
            let d = split(&index_set(Level::Department, year));
            assert_eq!(
                (d.0, d.1),
                (Decimal::from(65), Decimal::from(35)),
                "sở {year}"
            );
            if year < 2025 {
                let h = split(&index_set(Level::District, year));
                assert_eq!(
                    (h.0, h.1),
                    (Decimal::from(70), Decimal::from(30)),
                    "huyện {year}"
                );
            }
            let x = split(&index_set(Level::Commune, year));
            assert_eq!(
                (x.0, x.1),
                (Decimal::from(60), Decimal::from(40)),
                "xã {year}"
            );
            for n in [d.2, x.2] {
                assert!((30..=48).contains(&n), "{year}: {n} leaves");
            }
        }
    }
}
