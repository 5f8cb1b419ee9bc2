//! Properties of `Accept-Language` negotiation, against a reference reading written here: any
//! string is answered without panicking, and a header built of language ranges and weights —
//! RFC forms, lenient forms, garbage, `*`, other languages, `q=0`, any case, more than 32
//! items — comes to the language the reference says.

use proptest::prelude::*;

use super::Lang;
use crate::testing::proptest_config;

/// Only the first 32 items of a header are read (a bound on the work per request).
const ITEMS_READ: usize = 32;

/// A weight in thousandths, read exactly: an optional sign, digits with an optional fraction
/// (`1`, `0.5`, `.5`, `1.`, `0.500`), between 0 and 1. `Some(None)`: not a weight (ignored);
/// `None`: more than three significant decimals, where the reference does not decide.
fn weight(text: &str) -> Option<Option<u32>> {
    let text = text.trim();
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) || whole.len() + fraction.len() == 0 {
        // Not a plain decimal. `f32` also reads exponents, `inf` and `nan`: the first may be a
        // weight, the others never are.
        let lower = unsigned.to_ascii_lowercase();
        let special = ["inf", "infinity", "nan"].contains(&lower.as_str());
        return if unsigned.bytes().any(|b| b == b'e' || b == b'E') && !special {
            None
        } else {
            Some(None)
        };
    }
    let whole: u32 = match whole.trim_start_matches('0') {
        "" => 0,
        "1" => 1,
        _ => return Some(None),
    };
    let significant = fraction.trim_end_matches('0');
    if significant.len() > 3 {
        return None;
    }
    let thousandths: u32 = format!("{significant:0<3}").parse().ok()?;
    let value = whole * 1000 + thousandths;
    match (negative, value) {
        (_, 0) => Some(Some(0)),
        (true, _) => Some(None),
        (false, value) if value <= 1000 => Some(Some(value)),
        _ => Some(None),
    }
}

/// The reference negotiation, as `Lang::negotiate` documents it (RFC 9110 section 12.5.4):
/// items separated by `,` (the first 32); a language range, then `;` parameters; the weight is
/// the first `q=` parameter that is a number from 0 to 1 (none: 1); a range is Chinese when its
/// primary subtag (before `-` or `_`) is `zh`, English when it is `en`, in any case; `*` and
/// every other range name neither; weight 0 is "not acceptable"; the highest weight wins, the
/// earlier item on a tie; nothing acceptable: `None`. `Err` when a weight has more than three
/// significant decimals (or an exponent), which the reference does not decide.
/// The parameter name is case-insensitive (`Q=0.5`), as RFC 9110 says.
fn reference(header: &str) -> Result<Option<Lang>, ()> {
    let mut best: Option<(Lang, u32)> = None;
    for item in header.split(',').take(ITEMS_READ) {
        let mut parts = item.split(';');
        let range = parts.next().unwrap_or("").trim();
        let mut quality = None;
        for parameter in parts {
            let parameter = parameter.trim();
            let value = parameter
                .strip_prefix("q=")
                .or_else(|| parameter.strip_prefix("Q="));
            if let Some(value) = value {
                if let Some(found) = weight(value).ok_or(())? {
                    quality = Some(found);
                    break;
                }
            }
        }
        let quality = quality.unwrap_or(1000);
        let primary = range.split(['-', '_']).next().unwrap_or("").trim();
        let lang = match primary.to_ascii_lowercase().as_str() {
            "zh" => Lang::Zh,
            "en" => Lang::En,
            _ => continue,
        };
        if quality > 0 && best.is_none_or(|(_, top)| quality > top) {
            best = Some((lang, quality));
        }
    }
    Ok(best.map(|(lang, _)| lang))
}

/// Language ranges: Chinese and English in any form and case, `*`, other languages, and near
/// misses that are neither.
fn range() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "zh",
            "zh-CN",
            "ZH-tw",
            "zh_Hans",
            "zh-Hant-HK",
            "Zh",
            "en",
            "en-US",
            "EN-gb",
            "en_GB",
            "eN",
            "*",
            "fr",
            "de-DE",
            "ja",
            "x-zh",
            "zhx",
            "english",
            "",
            "e n",
            "zh -CN",
            "i-default",
        ])
        .prop_map(str::to_owned),
        "[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8}){0,2}",
    ]
}

/// A weight written as RFC 9110 writes it (`0`, `0.5`, `0.125`, `1`, `1.000`).
fn rfc_weight() -> impl Strategy<Value = String> {
    (0..=1000u32, 0..3u8).prop_map(|(thousandths, style)| match (thousandths, style) {
        (0, 0) => "0".to_owned(),
        (1000, 0) => "1".to_owned(),
        (1000, _) => format!("1.{}", "0".repeat(usize::from(style))),
        (value, _) => {
            let digits = format!("{value:03}");
            let digits = if style == 2 {
                digits.as_str()
            } else {
                digits.trim_end_matches('0')
            };
            format!("0.{digits}")
        }
    })
}

/// Parameters of an item: RFC weights, lenient weights, garbage, out of range, uppercase `Q`,
/// spaces, other parameters.
fn parameter() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => rfc_weight().prop_map(|weight| format!("q={weight}")),
        2 => prop::sample::select(vec![
            "q=.5", "q=+0.5", "q= 0.5", "q=0.5000", "q=00.7", "q=-0", "q=1.", "q=0.0",
        ])
        .prop_map(str::to_owned),
        2 => prop::sample::select(vec![
            "q=abc", "q=", "q=1.5", "q=2", "q=-0.5", "q=inf", "q=NaN", "q=0.5.5", "q=1,0",
            "q = 0.5", "level=1", "Q=0.1", "Q=0", "q=0x1",
        ])
        .prop_map(str::to_owned),
    ]
}

/// Headers of 0 to 40 items, with any spacing around `,`, `;` and inside.
fn header() -> impl Strategy<Value = String> {
    let item = || {
        (
            "[ \t]{0,2}",
            range(),
            "[ \t]{0,1}",
            prop::collection::vec(("[ ]{0,1}", parameter()), 0..3),
        )
            .prop_map(|(before, range, after, parameters)| {
                let parameters: String = parameters
                    .iter()
                    .map(|(space, parameter)| format!(";{space}{parameter}"))
                    .collect();
                format!("{before}{range}{after}{parameters}")
            })
    };
    prop_oneof![
        8 => prop::collection::vec(item(), 0..8),
        1 => prop::collection::vec(item(), 30..40),
    ]
    .prop_map(|items| items.join(","))
}

proptest! {
    #![proptest_config(proptest_config())]

    /// Any string: no panic, `from_accept_language` is `negotiate` or English, and the answer
    /// is the reference's wherever the reference decides.
    #[test]
    fn any_header_is_negotiated_without_panicking(
        header in prop_oneof!["(?s).{0,200}", "[ -~]{0,200}", "[zhenZHEN*q=0-9.;, \t_-]{0,80}"],
    ) {
        let negotiated = Lang::negotiate(&header);
        prop_assert_eq!(Lang::from_accept_language(&header), negotiated.unwrap_or(Lang::En));
        if let Ok(expected) = reference(&header) {
            prop_assert_eq!(negotiated, expected, "{:?}", header);
        }
    }

    /// Headers of ranges and weights come to the reference's language.
    #[test]
    fn weighted_headers_come_to_the_preferred_language(header in header()) {
        let expected = reference(&header);
        prop_assert!(expected.is_ok(), "the reference does not decide {:?}", header);
        prop_assert_eq!(Lang::negotiate(&header), expected.unwrap(), "{:?}", header);
    }
}

#[test]
fn the_reference_reads_weights_exactly() {
    assert_eq!(weight("0.5"), Some(Some(500)));
    assert_eq!(weight(" .125 "), Some(Some(125)));
    assert_eq!(weight("1.000"), Some(Some(1000)));
    assert_eq!(weight("-0"), Some(Some(0)));
    assert_eq!(weight("1.001"), Some(None));
    assert_eq!(weight("abc"), Some(None));
    assert_eq!(weight("nan"), Some(None));
    assert_eq!(weight("0.0005"), None);
    assert_eq!(weight("5e-1"), None);
    assert_eq!(reference("en;q=0.4, zh-CN;q=0.7"), Ok(Some(Lang::Zh)));
    assert_eq!(reference("zh;q=0, *"), Ok(None));
    assert_eq!(reference("en, zh"), Ok(Some(Lang::En)));
}

/// The structured headers are not vacuous: both languages, `None`, the 32-item bound and
/// decisive weights are all reached.
#[test]
fn weighted_headers_reach_every_answer() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let (mut zh, mut en, mut none, mut past_32, mut weighed) = (0, 0, 0, 0, 0);
    for _ in 0..2_000 {
        let header = header().new_tree(&mut runner).unwrap().current();
        match reference(&header) {
            Ok(Some(Lang::Zh)) => zh += 1,
            Ok(Some(Lang::En)) => en += 1,
            Ok(None) => none += 1,
            Err(()) => panic!("undecided: {header:?}"),
        }
        if header.split(',').count() > ITEMS_READ {
            past_32 += 1;
        }
        // A header whose answer the weights decide: the first acceptable range is not it.
        let first = header
            .split(',')
            .find_map(|item| reference(item).ok().flatten());
        if first.is_some() && first != reference(&header).ok().flatten() {
            weighed += 1;
        }
    }
    for (what, count) in [
        ("Chinese", zh),
        ("English", en),
        ("neither", none),
        ("more than 32 items", past_32),
        ("an answer the weights decide", weighed),
    ] {
        assert!(count > 20, "{what} only {count} times in 2000");
    }
}
