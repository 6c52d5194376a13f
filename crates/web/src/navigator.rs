//! The "còn thiếu" bar of long pages (self-assessment, appraisal): for each kind of work left
//! (no value yet, evidence missing, an open explanation request…), how many criteria and a
//! link that jumps to the next of them below the one in view. Without a script the link goes
//! to the first; `forms.js` makes it go to the next, round and round.

/// One kind of work left on the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NavItem {
    /// What is missing, in the page's language: "Chưa có giá trị".
    pub label: String,
    /// How many criteria.
    pub count: usize,
    /// The id of the first of them (the link's fragment).
    pub first: String,
    /// The ids of all of them in page order, separated by spaces.
    pub targets: String,
}

/// The item for the criteria whose element ids are `ids` (in page order), or `None` when
/// there are none: a bar lists only work that is left.
pub(crate) fn item(label: String, ids: Vec<String>) -> Option<NavItem> {
    let first = ids.first()?.clone();
    Some(NavItem {
        label,
        count: ids.len(),
        first,
        targets: ids.join(" "),
    })
}

/// The element id a page link points to: `/ky/2025/tu-danh-gia/STP#leaf-1.2` → `leaf-1.2`.
pub(crate) fn anchor_of(href: &str) -> String {
    href.rsplit_once('#')
        .map_or_else(|| href.to_owned(), |(_, f)| f.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_counts_its_criteria_and_starts_at_the_first() {
        let i = item(
            "Chưa có giá trị".into(),
            vec!["leaf-1.2".into(), "leaf-3.1".into()],
        )
        .expect("two criteria make an item");
        assert_eq!(i.count, 2);
        assert_eq!(i.first, "leaf-1.2");
        assert_eq!(i.targets, "leaf-1.2 leaf-3.1");
    }

    #[test]
    fn no_criteria_make_no_item() {
        assert_eq!(item("x".into(), Vec::new()), None);
    }

    #[test]
    fn the_fragment_of_a_link_is_the_id_it_points_to() {
        assert_eq!(anchor_of("/ky/2025/tu-danh-gia/STP#leaf-1.2"), "leaf-1.2");
        assert_eq!(anchor_of("leaf-3"), "leaf-3");
    }
}
