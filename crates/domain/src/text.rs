//! Vietnamese text for people: accent-insensitive search and Vietnamese alphabetical order.
//!
//! Officers look for units by typing without diacritics ("da nang", "so noi vu") on keyboards and
//! phones that make the marks slow to enter, so search compares *folded* text: lower-case, with
//! the tone marks and vowel marks removed and đ read as d.
//!
//! Lists of names (units, departments, people) are read in Vietnamese alphabetical order
//! (domain spec §9), which byte order gets wrong: byte order puts "Đông" after "Xã" and "Ân" after
//! "Bình". Collation uses the Unicode CLDR rules for Vietnamese through ICU4X (`icu_collator`
//! with its compiled data, so nothing is loaded at run time):
//!
//! 1. **Letters first**, in the Vietnamese alphabet
//!    a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y
//!    (f, j, w, z fall in their Latin places). ă, â, đ, ê, ô, ơ, ư are letters of their own, so
//!    every "Đ…" name comes after every "D…" name and before "E…".
//! 2. **Then tones**, when the letters are the same, in the order of the usual Vietnamese
//!    dictionaries (e.g. Hoàng Phê's *Từ điển tiếng Việt*), which is also CLDR's:
//!    ngang (none) < huyền (à) < hỏi (ả) < ngã (ã) < sắc (á) < nặng (ạ).
//! 3. **Then case**: lower-case before upper-case ("an" < "An").
//! 4. **Then the exact text** (canonically decomposed), so two different spellings never
//!    compare equal and a sort gives the same result whatever the input order.
//!
//! As in every level-based collation (ICU, spreadsheets, databases), tones are weighed only once
//! the letters of the *whole* name are equal, not syllable by syllable: "Hòa An" < "Hoa Bình"
//! because "hoa an" < "hoa binh" on letters alone. Runs of digits compare by numeric value
//! ("Phường 2" < "Phường 10"), the way numbered wards are listed. Precomposed (NFC) and
//! decomposed (NFD) input compare and fold the same.

use std::cmp::Ordering;
use std::sync::LazyLock;

use icu_collator::options::{CollatorOptions, Strength};
use icu_collator::preferences::CollationNumericOrdering;
use icu_collator::{CollatorBorrowed, CollatorPreferences};
use icu_locale_core::locale;
use icu_normalizer::DecomposingNormalizerBorrowed;
use icu_normalizer::properties::CanonicalCombiningClassMapBorrowed;

/// Folds text for accent-insensitive, case-insensitive search.
///
/// The result is lower-case, has every combining mark removed (Vietnamese tones and the vowel
/// marks of ă â ê ô ơ ư), reads đ as d, and has each run of whitespace collapsed to one space
/// with none at either end: `fold("  Đà   Nẵng ") == "da nang"`. Compatibility forms are
/// unified too (full-width letters, ligatures, non-breaking spaces).
///
/// Ð (U+00D0, the Icelandic eth) and Ɖ (U+0189, the African D) are read as d as well: text
/// converted from the old TCVN3/VNI encodings often carries them in place of Đ.
///
/// `fold` is idempotent: folding folded text changes nothing.
#[must_use]
pub fn fold(s: &str) -> String {
    // NFKD first so that precomposed letters split into base + marks and compatibility forms
    // (full-width, ligatures) become plain letters; the marks are then dropped by their
    // non-zero canonical combining class, which covers every Vietnamese diacritic.
    let nfkd = DecomposingNormalizerBorrowed::new_nfkd();
    let ccc = CanonicalCombiningClassMapBorrowed::new();
    let lowered = s.to_lowercase();
    let decomposed = nfkd.normalize(&lowered);

    let mut out = String::with_capacity(decomposed.len());
    let mut pending_space = false;
    for c in decomposed.chars().flat_map(char::to_lowercase) {
        if ccc.get_u8(c) != 0 {
            continue;
        }
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(match c {
            'đ' | 'ð' | 'ɖ' => 'd',
            other => other,
        });
    }
    out
}

/// Whether `text` answers `query`: every whitespace-separated token of the folded query is a
/// substring of the folded text, in any order.
///
/// "da nang" and "nang da" both match "Thành phố Đà Nẵng"; "DUC HOA" matches "Huyện Đức Hòa".
/// An empty (or all-blank) query matches everything. To search one query over many texts, fold
/// each side once with [`SearchQuery`] and [`SearchKey`] instead.
#[must_use]
pub fn matches(query: &str, text: &str) -> bool {
    SearchKey::new(text).matches(&SearchQuery::new(query))
}

/// The folded form of a searchable text (for example a unit's name together with its code),
/// computed once and kept so that repeated searches only fold the query.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct SearchKey(String);

impl SearchKey {
    /// The search key of one text.
    #[must_use]
    pub fn new(text: &str) -> Self {
        Self(fold(text))
    }

    /// The search key of several fields searched together, such as a unit's name and its code:
    /// a query token may match any one of them, though no token matches across two fields.
    #[must_use]
    pub fn from_fields<I, S>(fields: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut key = String::new();
        for field in fields {
            let folded = fold(field.as_ref());
            if folded.is_empty() {
                continue;
            }
            if !key.is_empty() {
                key.push(' ');
            }
            key.push_str(&folded);
        }
        Self(key)
    }

    /// The folded text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether every token of `query` occurs in this key (see [`matches()`](fn@matches)).
    #[must_use]
    pub fn matches(&self, query: &SearchQuery) -> bool {
        query
            .tokens
            .iter()
            .all(|token| self.0.contains(token.as_str()))
    }
}

impl From<&str> for SearchKey {
    fn from(text: &str) -> Self {
        Self::new(text)
    }
}

/// A search query split into folded tokens, ready to be tested against many [`SearchKey`]s.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct SearchQuery {
    tokens: Vec<String>,
}

impl SearchQuery {
    /// Folds `query` and splits it at whitespace.
    #[must_use]
    pub fn new(query: &str) -> Self {
        let tokens = fold(query)
            .split(' ')
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        Self { tokens }
    }

    /// Whether the query has no token, and so matches everything.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The folded tokens, in the order typed.
    pub fn tokens(&self) -> impl Iterator<Item = &str> {
        self.tokens.iter().map(String::as_str)
    }
}

/// The one Vietnamese collator, built on first use from data compiled into the binary and
/// shared by every comparison (building one costs far more than a comparison).
static VI_COLLATOR: LazyLock<CollatorBorrowed<'static>> = LazyLock::new(|| {
    let mut prefs = CollatorPreferences::from(locale!("vi"));
    prefs.numeric_ordering = Some(CollationNumericOrdering::True);
    let mut options = CollatorOptions::default();
    // Identical strength adds a last level on the decomposed code points: distinct texts never
    // tie, while NFC and NFD spellings of the same text still compare equal.
    options.strength = Some(Strength::Identical);
    CollatorBorrowed::try_new(prefs, options)
        .expect("collation data for `vi` is compiled into icu_collator")
});

/// Compares two texts in Vietnamese alphabetical order (see the module documentation for the
/// levels: letters, then tones, then case, then exact text).
///
/// This is a total order; it answers `Equal` only for canonically equivalent texts (the same
/// text in NFC and NFD, say).
#[must_use]
pub fn compare_vi(a: &str, b: &str) -> Ordering {
    VI_COLLATOR.compare(a, b)
}

/// Sorts `items` in Vietnamese alphabetical order of the text that `key` picks out of each.
///
/// The sort is stable, although with [`compare_vi`] only canonically equivalent texts tie.
pub fn sort_vi<T>(items: &mut [T], key: impl Fn(&T) -> &str) {
    let collator = &*VI_COLLATOR;
    items.sort_by(|a, b| collator.compare(key(a), key(b)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use icu_normalizer::ComposingNormalizerBorrowed;
    use proptest::prelude::*;

    fn nfd(s: &str) -> String {
        DecomposingNormalizerBorrowed::new_nfd()
            .normalize(s)
            .into_owned()
    }

    fn nfc(s: &str) -> String {
        ComposingNormalizerBorrowed::new_nfc()
            .normalize(s)
            .into_owned()
    }

    fn sorted(names: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
        sort_vi(&mut v, String::as_str);
        v
    }

    fn assert_ascending(names: &[&str]) {
        for pair in names.windows(2) {
            assert_eq!(
                compare_vi(pair[0], pair[1]),
                Ordering::Less,
                "{} < {}",
                pair[0],
                pair[1]
            );
            assert_eq!(
                compare_vi(pair[1], pair[0]),
                Ordering::Greater,
                "{} > {}",
                pair[1],
                pair[0]
            );
        }
        let mut reversed: Vec<&str> = names.to_vec();
        reversed.reverse();
        assert_eq!(sorted(&reversed), names);
    }

    // ---- folding and search ----

    #[test]
    fn da_nang_finds_da_nang_with_its_diacritics() {
        assert_eq!(fold("Đà Nẵng"), "da nang");
        assert!(matches("da nang", "Đà Nẵng"));
        assert!(matches("da nang", "Thành phố Đà Nẵng"));
    }

    #[test]
    fn unaccented_queries_find_departments_and_districts_in_any_case() {
        assert!(matches("so noi vu", "Sở Nội vụ"));
        assert!(matches("DUC HOA", "Huyện Đức Hòa"));
        assert!(matches("Đức Hoà", "Huyện Đức Hòa"));
        assert!(matches("hoa duc", "Huyện Đức Hòa"));
    }

    #[test]
    fn every_query_token_must_occur() {
        assert!(!matches("da hue", "Đà Nẵng"));
        assert!(!matches("so noi vu ha noi", "Sở Nội vụ"));
    }

    #[test]
    fn an_empty_query_matches_everything() {
        assert!(matches("", "Sở Y tế"));
        assert!(matches("   ", ""));
        assert!(SearchQuery::new(" \t ").is_empty());
    }

    #[test]
    fn folding_collapses_whitespace_and_trims() {
        assert_eq!(fold("  Sở\tNội \n\n vụ  "), "so noi vu");
        assert_eq!(fold("Xã\u{a0}Ân Thi"), "xa an thi");
        assert_eq!(fold(""), "");
    }

    #[test]
    fn folding_removes_every_tone_and_vowel_mark() {
        assert_eq!(fold("ÀẢÃÁẠ ĂẰẲẴẮẶ ÂẦẨẪẤẬ"), "aaaaa aaaaaa aaaaaa");
        assert_eq!(
            fold("ÊỀỂỄẾỆ ÔỒỔỖỐỘ ƠỜỞỠỚỢ ƯỪỬỮỨỰ"),
            "eeeeee oooooo oooooo uuuuuu"
        );
        assert_eq!(fold("Ỳ Ỷ Ỹ Ý Ỵ Ì Ỉ Ĩ Í Ị"), "y y y y y i i i i i");
        assert_eq!(fold("Đđ"), "dd");
    }

    #[test]
    fn legacy_look_alikes_of_d_with_stroke_fold_to_d() {
        // Ð (eth) and Ɖ (African D) appear in text converted from TCVN3/VNI.
        assert!(matches("dong", "Ðông"));
        assert!(matches("dong", "Ɖông"));
    }

    #[test]
    fn decomposed_text_folds_like_precomposed_text() {
        let name = "Thị xã Đông Phú, Huyện Tân Khê, Phường Nguyễn Trãi";
        assert_eq!(fold(&nfd(name)), fold(name));
        assert!(matches(&nfd("Đông Phú"), name));
        assert!(matches("dong phu", &nfd(name)));
    }

    #[test]
    fn a_search_key_matches_the_unit_code_as_well_as_the_name() {
        let key = SearchKey::from_fields(["Sở Nội vụ", "SNV-01"]);
        assert_eq!(key.as_str(), "so noi vu snv-01");
        assert!(key.matches(&SearchQuery::new("snv")));
        assert!(key.matches(&SearchQuery::new("noi vu SNV-01")));
        assert!(!key.matches(&SearchQuery::new("snv-02")));
    }

    #[test]
    fn one_query_is_reused_over_many_keys() {
        let keys: Vec<SearchKey> = ["Xã An Bình", "Xã Ân Thi", "Phường Đông Sơn", "Sở Y tế"]
            .map(SearchKey::from)
            .to_vec();
        let query = SearchQuery::new("an");
        assert_eq!(query.tokens().collect::<Vec<_>>(), ["an"]);
        let hits: Vec<&str> = keys
            .iter()
            .filter(|k| k.matches(&query))
            .map(SearchKey::as_str)
            .collect();
        assert_eq!(hits, ["xa an binh", "xa an thi"]);
    }

    // ---- collation ----

    #[test]
    fn d_with_stroke_sorts_after_d_and_before_e() {
        assert_ascending(&["Dương", "Đông", "Em"]);
        assert_ascending(&["Dz", "Đa"]);
        assert_ascending(&["D", "Đ", "E"]);
    }

    #[test]
    fn a_with_breve_and_a_with_circumflex_sort_after_a_and_before_b() {
        assert_ascending(&["A", "Ă", "Â", "B"]);
        assert_ascending(&["Anh", "Ăn", "Ân", "Bình"]);
        assert_ascending(&["Az", "Ăa", "Âa"]);
    }

    #[test]
    fn the_vietnamese_alphabet_is_in_order() {
        let alphabet = [
            "a", "ă", "â", "b", "c", "d", "đ", "e", "ê", "g", "h", "i", "k", "l", "m", "n", "o",
            "ô", "ơ", "p", "q", "r", "s", "t", "u", "ư", "v", "x", "y",
        ];
        assert_ascending(&alphabet);
    }

    #[test]
    fn tones_sort_ngang_huyen_hoi_nga_sac_nang() {
        assert_ascending(&["ba", "bà", "bả", "bã", "bá", "bạ"]);
        assert_ascending(&["Hoa", "Hòa", "Hỏa", "Hõa", "Hóa", "Họa"]);
        assert_ascending(&["mê", "mề", "mể", "mễ", "mế", "mệ"]);
    }

    #[test]
    fn letters_outweigh_tones() {
        // All of "ba" with any tone comes before "bac".
        assert_ascending(&["ba", "bạ", "bac"]);
        // Tones count only when the letters of the whole name tie.
        assert_ascending(&["Hòa An", "Hoa Bình"]);
    }

    #[test]
    fn lower_case_sorts_before_upper_case_when_all_else_ties() {
        assert_ascending(&["an", "An", "AN", "ăn"]);
    }

    #[test]
    fn numbered_wards_sort_by_number() {
        assert_ascending(&["Phường 1", "Phường 2", "Phường 10", "Phường An Phú"]);
    }

    #[test]
    fn unit_names_sort_in_vietnamese_order_not_byte_order() {
        let expected = [
            "Huyện Tân Khê",
            "Phường 2",
            "Phường 10",
            "Phường Đông Sơn",
            "Sở Nội vụ",
            "Sở Tài chính",
            "Sở Tài nguyên và Môi trường",
            "Sở Tư pháp",
            "Sở Xây dựng",
            "Sở Y tế",
            "Thành phố Đà Nẵng",
            "Thị xã Đông Phú",
            "Xã An Bình",
            "Xã Ân Thi",
            "Xã Dương Hòa",
            "Xã Đông Hưng",
            "Xã Ea Kar",
        ];
        let shuffled = [
            "Xã Đông Hưng",
            "Sở Y tế",
            "Xã Ân Thi",
            "Phường 10",
            "Thị xã Đông Phú",
            "Sở Tư pháp",
            "Xã Ea Kar",
            "Huyện Tân Khê",
            "Sở Xây dựng",
            "Xã An Bình",
            "Phường Đông Sơn",
            "Sở Tài nguyên và Môi trường",
            "Xã Dương Hòa",
            "Thành phố Đà Nẵng",
            "Sở Nội vụ",
            "Phường 2",
            "Sở Tài chính",
        ];
        assert_eq!(sorted(&shuffled), expected);

        let mut bytewise = shuffled.to_vec();
        bytewise.sort_unstable();
        assert_ne!(bytewise, expected, "byte order would get this list wrong");
    }

    #[test]
    fn sort_vi_sorts_records_by_a_chosen_field() {
        let mut units = vec![
            ("DN", "Đà Nẵng"),
            ("DL", "Đắk Lắk"),
            ("AG", "An Giang"),
            ("DB", "Điện Biên"),
        ];
        sort_vi(&mut units, |u| u.1);
        assert_eq!(
            units.iter().map(|u| u.0).collect::<Vec<_>>(),
            ["AG", "DN", "DL", "DB"]
        );
    }

    #[test]
    fn decomposed_input_compares_equal_to_precomposed_input() {
        for name in [
            "Đà Nẵng",
            "Xã Ân Thi",
            "Thị xã Đông Phú",
            "Nguyễn Thị Ngọc Hường",
        ] {
            let decomposed = nfd(name);
            assert_ne!(decomposed, name);
            assert_eq!(compare_vi(&decomposed, name), Ordering::Equal);
            assert_eq!(
                compare_vi(&decomposed, "Xã An Bình"),
                compare_vi(name, "Xã An Bình")
            );
        }
        // Decomposed with the marks in the other canonical order (dot below before circumflex).
        assert_eq!(compare_vi("Nô\u{323}i", "Nội"), Ordering::Equal);
        assert_eq!(compare_vi("No\u{323}\u{302}i", "Nội"), Ordering::Equal);
        assert_eq!(fold("No\u{323}\u{302}i"), "noi");
    }

    // ---- properties ----

    /// Pieces of Vietnamese text in decomposed form: every vowel with every tone, every consonant,
    /// both cases, a few digits and punctuation, and spaces.
    fn pieces() -> Vec<String> {
        let vowels = [
            "a", "a\u{306}", "a\u{302}", "e", "e\u{302}", "i", "o", "o\u{302}", "o\u{31b}", "u",
            "u\u{31b}", "y",
        ];
        let tones = ["", "\u{300}", "\u{309}", "\u{303}", "\u{301}", "\u{323}"];
        let mut out = Vec::new();
        for v in vowels {
            for t in tones {
                out.push(format!("{v}{t}"));
                out.push(format!("{}{t}", v.to_uppercase()));
            }
        }
        for c in [
            "b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "q", "r", "s", "t", "v", "x",
            "ng", "nh", "ch", "tr",
        ] {
            out.push(c.to_owned());
            out.push(c.to_uppercase());
        }
        for other in [" ", " ", "  ", "\t", "1", "2", "10", "-", "'", "f", "z"] {
            out.push(other.to_owned());
        }
        out
    }

    fn vietnamese() -> impl Strategy<Value = String> {
        (
            prop::collection::vec(prop::sample::select(pieces()), 0..10),
            any::<bool>(),
        )
            .prop_map(|(parts, composed)| {
                let s = parts.concat();
                if composed { nfc(&s) } else { s }
            })
    }

    proptest! {
        #[test]
        fn compare_vi_is_antisymmetric(a in vietnamese(), b in vietnamese()) {
            prop_assert_eq!(compare_vi(&a, &b), compare_vi(&b, &a).reverse());
        }

        #[test]
        fn compare_vi_is_transitive(a in vietnamese(), b in vietnamese(), c in vietnamese()) {
            let mut v = [a, b, c];
            v.sort_by(|x, y| compare_vi(x, y));
            prop_assert_ne!(compare_vi(&v[0], &v[1]), Ordering::Greater);
            prop_assert_ne!(compare_vi(&v[1], &v[2]), Ordering::Greater);
            prop_assert_ne!(compare_vi(&v[0], &v[2]), Ordering::Greater);
            for x in &v {
                for y in &v {
                    for z in &v {
                        if compare_vi(x, y).is_le() && compare_vi(y, z).is_le() {
                            prop_assert!(compare_vi(x, z).is_le());
                        }
                    }
                }
            }
        }

        #[test]
        fn compare_vi_ties_only_canonically_equivalent_texts(a in vietnamese(), b in vietnamese()) {
            prop_assert_eq!(compare_vi(&a, &b) == Ordering::Equal, nfd(&a) == nfd(&b));
            prop_assert_eq!(compare_vi(&a, &nfd(&a)), Ordering::Equal);
        }

        #[test]
        fn fold_is_idempotent_on_vietnamese_text(s in vietnamese()) {
            let once = fold(&s);
            prop_assert_eq!(fold(&once), once.clone());
            prop_assert_eq!(fold(&nfd(&s)), once);
        }

        #[test]
        fn fold_is_idempotent_on_any_text(s in any::<String>()) {
            let once = fold(&s);
            prop_assert_eq!(fold(&once), once);
        }

        #[test]
        fn every_text_matches_itself(s in vietnamese()) {
            prop_assert!(matches(&s, &s));
            prop_assert!(matches(&fold(&s), &nfd(&s)));
        }
    }
}
