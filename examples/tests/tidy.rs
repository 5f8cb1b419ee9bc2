#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Tidy checks over our own sources, in the spirit of rustc's `src/tools/tidy`: the modules of
//! a crate import one way (tower-http's `src/trace/`), and every `SilentLoginCode` is raised
//! somewhere (tidy's `check_error_codes_used`).
//!
//! Both read the sources as text through a small tokenizer, so they need no dependency and a
//! failure names the `file:line` to change.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fs;
use std::path::{Path, PathBuf};

use silent_login::catalog::SilentLoginCode;

/// The crates whose modules must import one way.
const LAYERED: [&str; 2] = ["middleware/src", "mock/src"];

/// Where a `SilentLoginCode` counts as raised.
const RAISERS: [&str; 2] = ["middleware/src", "examples/src"];

/// `LoginError::with_cause` ignores an id its entry does not have (the id may come from a user),
/// so a misspelled literal in our own code would silently narrow nothing: every
/// `with_cause("…")` in `middleware/src` must name a cause of some catalog entry.
#[test]
fn every_cause_id_our_code_narrows_to_exists() {
    let known: BTreeSet<&str> = ["dingtalk", "feishu", "silent-login"]
        .into_iter()
        .flat_map(silent_login::catalog::codes_of)
        .flat_map(|code| code.entry().causes.iter().map(|cause| cause.id()))
        .collect();
    let root = workspace_root();
    let mut unknown = Vec::new();
    for file in rust_files(&root.join("middleware/src")) {
        let text = fs::read_to_string(&file).unwrap();
        for (at, _) in text.match_indices("with_cause(\"") {
            let rest = &text[at + "with_cause(\"".len()..];
            let id = &rest[..rest.find('"').unwrap_or(0)];
            if !known.contains(id) {
                let line = text[..at].lines().count();
                let shown = file
                    .strip_prefix(&root)
                    .unwrap_or(&file)
                    .display()
                    .to_string();
                unknown.push(format!("{shown}:{line}: `{id}`"));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "cause ids no catalog entry has (add the cause to the YAML, or fix the id):\n{}",
        unknown.join("\n")
    );
}

#[test]
fn modules_import_one_way() {
    let root = workspace_root();
    let mut found = Vec::new();
    for src in LAYERED {
        let edges = Crate::load(&root, src).sibling_edges();
        for cycle in cycles(&edges) {
            found.push(format!("{src}: {}", describe(&cycle, &edges)));
        }
    }
    assert!(
        found.is_empty(),
        "modules import each other in a cycle; make imports run one way, like tower-http's \
         src/trace/ (layer → service → future → body), e.g. by moving what both sides need \
         into a module below them:\n\n{}\n",
        found.join("\n\n")
    );
}

#[test]
fn every_silent_login_code_is_raised() {
    let raised = raised_codes(&workspace_root(), &RAISERS);
    let (mut unused, mut revived) = (Vec::new(), Vec::new());
    for code in SilentLoginCode::ALL {
        let entry = code.entry();
        match (entry.removed, raised.get(entry.name)) {
            (false, None) => unused.push(format!("    {} {}", entry.code, entry.name)),
            (true, Some(at)) => revived.push(format!("    {} {} at {at}", entry.code, entry.name)),
            _ => {}
        }
    }
    let mut problems = Vec::new();
    if !unused.is_empty() {
        problems.push(format!(
            "codes never raised as `SilentLoginCode::<Name>` in middleware/src or examples/src:\n\
             {}\nhint: raise it where it applies, or mark it `status: removed` in \
             catalog/silent-login.yaml",
            unused.join("\n")
        ));
    }
    if !revived.is_empty() {
        problems.push(format!(
            "codes marked `status: removed` in catalog/silent-login.yaml are still raised:\n{}\n\
             hint: raise a current code instead, or drop `status: removed` if the code is back",
            revived.join("\n")
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// The workspace root: this package is `examples/`.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A module's path from its crate root, e.g. `["crate", "session", "keyring"]`.
type ModPath = Vec<String>;

/// Sibling edges `A → B`, each with one `file:line` under `A` that refers into `B`.
type Edges = BTreeMap<(ModPath, ModPath), String>;

/// A token and the line it starts on; every literal reads `"…"`.
#[derive(Clone, Debug)]
struct Token {
    text: String,
    line: usize,
}

/// What the lexer found at one position.
enum Lexeme {
    /// Whitespace, a comment (doc comments too) or a lifetime.
    Skip,
    /// A string, char or number literal.
    Literal,
    /// An identifier, a keyword or punctuation (`::` is one).
    Word,
}

/// Splits Rust source into tokens without comments and without the contents of literals.
fn tokenize(source: &str) -> Vec<Token> {
    let chars: Vec<char> = source.chars().collect();
    let (mut tokens, mut at, mut line) = (Vec::new(), 0, 1);
    while at < chars.len() {
        let (end, lexeme) = lex(&chars, at);
        let text = match lexeme {
            Lexeme::Skip => None,
            Lexeme::Literal => Some("\"…\"".to_owned()),
            Lexeme::Word => Some(chars[at..end].iter().collect()),
        };
        if let Some(text) = text {
            tokens.push(Token { text, line });
        }
        line += chars[at..end].iter().filter(|&&c| c == '\n').count();
        at = end;
    }
    tokens
}

/// The end of the lexeme starting at `at`, and its kind.
fn lex(chars: &[char], at: usize) -> (usize, Lexeme) {
    let next = |k: usize| chars.get(at + k).copied().unwrap_or('\0');
    match next(0) {
        c if c.is_whitespace() => (at + 1, Lexeme::Skip),
        '/' if next(1) == '/' => {
            let length = chars[at..].iter().position(|&c| c == '\n');
            (
                length.map_or(chars.len(), |length| at + length),
                Lexeme::Skip,
            )
        }
        '/' if next(1) == '*' => (block_comment_end(chars, at), Lexeme::Skip),
        '"' => (quoted_end(chars, at + 1, '"'), Lexeme::Literal),
        // `'a'` and `'\n'` are chars; `'a` alone is a lifetime or a label.
        '\'' if next(1) == '\\' || next(2) == '\'' => {
            (quoted_end(chars, at + 1, '\''), Lexeme::Literal)
        }
        '\'' => (word_end(chars, at + 1), Lexeme::Skip),
        ':' if next(1) == ':' => (at + 2, Lexeme::Word),
        c if c.is_ascii_digit() => (word_end(chars, at), Lexeme::Literal),
        c if c.is_alphabetic() || c == '_' => word_or_prefixed_literal(chars, at),
        _ => (at + 1, Lexeme::Word),
    }
}

/// A word, or a literal behind a prefix: `b"…"`, `b'…'`, `c"…"`, `r"…"`, `r#"…"#`, `br#"…"#`.
fn word_or_prefixed_literal(chars: &[char], at: usize) -> (usize, Lexeme) {
    let end = word_end(chars, at);
    let word: String = chars[at..end].iter().collect();
    let hashes = chars[end..].iter().take_while(|&&c| c == '#').count();
    match (word.as_str(), chars.get(end + hashes)) {
        ("r" | "br" | "cr", Some('"')) => (
            raw_string_end(chars, end + hashes + 1, hashes),
            Lexeme::Literal,
        ),
        ("r", _) if hashes == 1 => (word_end(chars, end + 1), Lexeme::Word), // r#ident
        ("b" | "c", Some('"')) if hashes == 0 => (quoted_end(chars, end + 1, '"'), Lexeme::Literal),
        ("b", Some('\'')) if hashes == 0 => (quoted_end(chars, end + 1, '\''), Lexeme::Literal),
        _ => (end, Lexeme::Word),
    }
}

/// The end of the identifier-like run starting at `at`.
fn word_end(chars: &[char], at: usize) -> usize {
    let length = chars[at..]
        .iter()
        .take_while(|c| c.is_alphanumeric() || **c == '_')
        .count();
    at + length
}

/// Just past the `quote` closing a literal whose contents start at `at`, skipping escapes.
fn quoted_end(chars: &[char], mut at: usize, quote: char) -> usize {
    while let Some(&c) = chars.get(at) {
        at += if c == '\\' { 2 } else { 1 };
        if c == quote {
            return at;
        }
    }
    chars.len()
}

/// Just past the `"` and `hashes` `#`s closing a raw string whose contents start at `at`.
fn raw_string_end(chars: &[char], mut at: usize, hashes: usize) -> usize {
    while at < chars.len() {
        let closes = chars[at + 1..].iter().take_while(|&&c| c == '#').count() >= hashes;
        if chars[at] == '"' && closes {
            return at + 1 + hashes;
        }
        at += 1;
    }
    chars.len()
}

/// Just past the `*/` closing the (possibly nested) block comment at `at`.
fn block_comment_end(chars: &[char], mut at: usize) -> usize {
    let mut depth = 0;
    while at < chars.len() {
        match (chars[at], chars.get(at + 1)) {
            ('/', Some('*')) => (depth, at) = (depth + 1, at + 2),
            ('*', Some('/')) if depth == 1 => return at + 2,
            ('*', Some('/')) => (depth, at) = (depth - 1, at + 2),
            _ => at += 1,
        }
    }
    chars.len()
}

/// The index of the bracket closing the one at `open`.
fn closing(tokens: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0;
    for (at, token) in tokens.iter().enumerate().skip(open) {
        match token.text.as_str() {
            "{" | "[" | "(" => depth += 1,
            "}" | "]" | ")" if depth == 1 => return Some(at),
            "}" | "]" | ")" => depth -= 1,
            _ => {}
        }
    }
    None
}

/// Whether `text` is an identifier or a keyword.
fn is_word(text: &str) -> bool {
    text.starts_with(|c: char| c.is_alphabetic() || c == '_')
}

/// The tokens of `source` without its `#[cfg(test)] mod … { … }` blocks: unit tests may
/// import anything.
fn non_test_tokens(source: &str) -> Vec<Token> {
    let mut tokens = tokenize(source);
    let mut at = 0;
    while at < tokens.len() {
        match test_module_end(&tokens, at) {
            Some(end) => drop(tokens.drain(at..end)),
            None => at += 1,
        }
    }
    tokens
}

/// Just past the `#[cfg(test)] mod name { … }` starting at `at`, if one does.
fn test_module_end(tokens: &[Token], at: usize) -> Option<usize> {
    let is = |k: usize, text: &str| tokens.get(k).is_some_and(|token| token.text == text);
    let cfg_test = ["#", "[", "cfg", "(", "test", ")", "]"];
    if !(0..cfg_test.len()).all(|k| is(at + k, cfg_test[k])) {
        return None;
    }
    let mut next = at + cfg_test.len();
    while is(next, "#") {
        next = closing(tokens, next + 1)? + 1;
    }
    if is(next, "mod") && is(next + 2, "{") {
        Some(closing(tokens, next + 2)? + 1)
    } else {
        None
    }
}

/// A path a file refers to: one leaf of a `use`, or a `crate::`, `super::` or `self::` path in code.
#[derive(Debug)]
struct Reference {
    /// The inline modules (`mod name { … }`) of the file the path is written in.
    scope: Vec<String>,
    /// The path as written, e.g. `["super", "Session"]`.
    path: Vec<String>,
    /// The name a file-level `use` brings into the module, if it is one (not a glob).
    imported_as: Option<String>,
    /// The line it is on.
    line: usize,
}

/// Every reference in a file's tokens.
fn references(tokens: &[Token]) -> Vec<Reference> {
    let is = |k: usize, text: &str| tokens.get(k).is_some_and(|token| token.text == text);
    let (mut found, mut inline, mut at) = (Vec::new(), Vec::<(String, usize)>::new(), 0);
    while at < tokens.len() {
        inline.retain(|(_, end)| at < *end);
        let scope: Vec<String> = inline.iter().map(|(name, _)| name.clone()).collect();
        let text = tokens[at].text.as_str();
        if text == "mod" && is(at + 2, "{") {
            let end = closing(tokens, at + 2).unwrap_or(tokens.len());
            inline.push((tokens[at + 1].text.clone(), end));
            at += 3;
        } else if text == "use" {
            let mut leaves = Vec::new();
            let end = use_tree(tokens, at + 1, &[], &mut leaves);
            found.extend(leaves.into_iter().map(|(path, name, line)| Reference {
                imported_as: name.filter(|_| scope.is_empty()),
                scope: scope.clone(),
                path,
                line,
            }));
            at = end.max(at + 1);
        } else if matches!(text, "crate" | "super" | "self")
            && is(at + 1, "::")
            && !at.checked_sub(1).is_some_and(|before| is(before, "::"))
        {
            let (path, end) = code_path(tokens, at);
            let line = tokens[at].line;
            found.push(Reference {
                scope,
                path,
                imported_as: None,
                line,
            });
            at = end;
        } else {
            at += 1;
        }
    }
    found
}

/// The path of words joined by `::` that starts at `at`, and the index past it.
fn code_path(tokens: &[Token], mut at: usize) -> (Vec<String>, usize) {
    let mut path = vec![tokens[at].text.clone()];
    while tokens.get(at + 1).is_some_and(|token| token.text == "::")
        && tokens.get(at + 2).is_some_and(|token| is_word(&token.text))
    {
        path.push(tokens[at + 2].text.clone());
        at += 2;
    }
    (path, at + 1)
}

/// A leaf of a use tree: the full path, the name it brings in (`None` for `*`), its line.
type UseLeaf = (Vec<String>, Option<String>, usize);

/// Parses the use tree at `at` below `prefix` (`a::b`, `a::{b, c::{d, e}}`, `a as b`, `a::*`),
/// pushing its leaves; returns the index past it.
fn use_tree(
    tokens: &[Token],
    mut at: usize,
    prefix: &[String],
    leaves: &mut Vec<UseLeaf>,
) -> usize {
    let (mut path, mut named, mut line) = (prefix.to_vec(), false, 0);
    while let Some(token) = tokens.get(at) {
        match token.text.as_str() {
            "::" => at += 1,
            "{" => return use_group(tokens, at + 1, &path, leaves),
            "*" => {
                leaves.push((path, None, token.line));
                return at + 1;
            }
            "as" => {
                let alias = tokens.get(at + 1).map(|token| token.text.clone());
                leaves.push((path, alias, token.line));
                return at + 2;
            }
            // `a::{self, b}` names `a` itself.
            "self" if !prefix.is_empty() && path.len() == prefix.len() => {
                (named, line, at) = (true, token.line, at + 1);
            }
            word if is_word(word) => {
                path.push(word.to_owned());
                (named, line, at) = (true, token.line, at + 1);
            }
            _ => break,
        }
    }
    if named {
        let name = path.last().cloned();
        leaves.push((path, name, line));
    }
    at
}

/// Parses the trees of a `{ … }` group whose first tree starts at `at`; returns the index past `}`.
fn use_group(
    tokens: &[Token],
    mut at: usize,
    prefix: &[String],
    leaves: &mut Vec<UseLeaf>,
) -> usize {
    while let Some(token) = tokens.get(at) {
        match token.text.as_str() {
            "}" => return at + 1,
            "," => at += 1,
            _ => at = use_tree(tokens, at, prefix, leaves).max(at + 1),
        }
    }
    at
}

/// A crate's modules, one per `.rs` file, with what each refers to and re-exports.
struct Crate {
    /// Each module's file (as `dir/file.rs` from the workspace root) and references.
    modules: BTreeMap<ModPath, (String, Vec<Reference>)>,
    /// `(module, name)` → the absolute path of the item a `use` there imports: `pub use`
    /// re-exports, and private imports its children reach through `super::`.
    imports: HashMap<(ModPath, String), ModPath>,
}

impl Crate {
    /// Reads every module under `root/src`, skipping `src/bin/` (other crates).
    fn load(root: &Path, src: &str) -> Crate {
        let mut modules = BTreeMap::new();
        for file in rust_files(&root.join(src)) {
            let relative = file.strip_prefix(root.join(src)).expect("under src");
            if let Some(module) = module_path(relative) {
                let source = fs::read_to_string(&file).expect("readable source");
                let display = format!("{src}/{}", relative.display());
                modules.insert(module, (display, references(&non_test_tokens(&source))));
            }
        }
        let mut krate = Crate {
            modules,
            imports: HashMap::new(),
        };
        krate.imports = krate.imports();
        krate
    }

    /// What each module's file-level `use`s import from this crate, by module and name.
    fn imports(&self) -> HashMap<(ModPath, String), ModPath> {
        let mut imports = HashMap::new();
        for (module, (_, references)) in &self.modules {
            for reference in references {
                let item = self.absolute(&reference.path, module);
                if let (Some(name), Some(item)) = (&reference.imported_as, item) {
                    imports.insert((module.clone(), name.clone()), item);
                }
            }
        }
        imports
    }

    /// `path` written in `module`, made absolute; `None` when it leads out of the crate.
    fn absolute(&self, path: &[String], module: &[String]) -> Option<ModPath> {
        let (first, mut rest) = path.split_first()?;
        let mut base = match first.as_str() {
            "crate" => vec![first.clone()],
            "self" => module.to_vec(),
            // `super::…` and `child::…` (a child module of `module`) start from `module`.
            _ if first == "super" || self.modules.contains_key(&[module, &path[..1]].concat()) => {
                rest = path;
                module.to_vec()
            }
            _ => return None,
        };
        while rest.first().is_some_and(|segment| segment == "super") {
            base.pop();
            rest = &rest[1..];
        }
        (!base.is_empty()).then(|| [base.as_slice(), rest].concat())
    }

    /// The module an absolute path lands in: its deepest module prefix or, when the next
    /// segment is imported there (`pub use session::KeyRing;`), where that import leads.
    fn target(&self, path: &[String], hops: usize) -> ModPath {
        let mut depth = 1;
        while depth < path.len() && self.modules.contains_key(&path[..=depth]) {
            depth += 1;
        }
        let module = path[..depth].to_vec();
        let import = path
            .get(depth)
            .and_then(|name| self.imports.get(&(module.clone(), name.clone())));
        match import {
            Some(item) if hops < 16 => self.target(&[item, &path[depth + 1..]].concat(), hops + 1),
            _ => module,
        }
    }

    /// The sibling edges of the module tree.
    fn sibling_edges(&self) -> Edges {
        let mut edges = Edges::new();
        for (module, (file, references)) in &self.modules {
            for reference in references {
                let written_in = [module.as_slice(), &reference.scope].concat();
                let Some(path) = self.absolute(&reference.path, &written_in) else {
                    continue;
                };
                let to = self.target(&path, 0);
                let shared = module.iter().zip(&to).take_while(|(a, b)| a == b).count();
                if shared < module.len() && shared < to.len() {
                    let edge = (module[..=shared].to_vec(), to[..=shared].to_vec());
                    edges
                        .entry(edge)
                        .or_insert_with(|| format!("{file}:{}", reference.line));
                }
            }
        }
        edges
    }
}

/// `lib.rs` → `crate`; `a.rs` and `a/mod.rs` → `crate::a`; `a/b.rs` → `crate::a::b`; `None` for
/// `bin/` and for unit-test files (`tests.rs` or anything under a `tests/` folder, i.e.
/// `#[cfg(test)] mod tests;`: tests may import anything, like the inline `mod tests` blocks
/// skipped elsewhere).
fn module_path(relative: &Path) -> Option<ModPath> {
    let parts: Vec<String> = relative
        .iter()
        .map(|part| part.to_string_lossy().into_owned())
        .collect();
    let (file, folders) = parts.split_last()?;
    let unit_tests = file == "tests.rs" || folders.iter().any(|folder| folder == "tests");
    if folders.first().is_some_and(|folder| folder == "bin") || unit_tests {
        return None;
    }
    let mut path: ModPath = std::iter::once("crate".to_owned())
        .chain(folders.iter().cloned())
        .collect();
    match (file.strip_suffix(".rs")?, folders.is_empty()) {
        ("lib" | "main", true) | ("mod", false) => {}
        (stem, _) => path.push(stem.to_owned()),
    }
    Some(path)
}

/// Every `.rs` file under `dir`, in a stable order.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let entries = fs::read_dir(dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
    let mut paths: Vec<PathBuf> = entries
        .map(|entry| entry.expect("readable dir").path())
        .collect();
    paths.sort();
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
    files
}

/// One cycle through each edge that is on one, shortest first, as `[a, b, a]` rotated to
/// start at its least module.
fn cycles(edges: &Edges) -> BTreeSet<Vec<ModPath>> {
    let mut found = BTreeSet::new();
    for (from, to) in edges.keys() {
        if let Some(mut cycle) = shortest_path(edges, to, from) {
            let least = (0..cycle.len()).min_by_key(|&at| &cycle[at]).unwrap_or(0);
            cycle.rotate_left(least);
            cycle.push(cycle[0].clone());
            found.insert(cycle);
        }
    }
    found
}

/// The modules on a shortest path from `start` to `goal`, both included.
fn shortest_path(edges: &Edges, start: &ModPath, goal: &ModPath) -> Option<Vec<ModPath>> {
    let mut came_from: HashMap<&ModPath, &ModPath> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        if node == goal {
            let mut path = vec![node.clone()];
            while let Some(previous) = came_from.get(path.last()?) {
                path.push((*previous).clone());
            }
            path.reverse();
            return Some(path);
        }
        for (_, next) in edges.keys().filter(|(from, _)| from == node) {
            if next != start && !came_from.contains_key(next) {
                came_from.insert(next, node);
                queue.push_back(next);
            }
        }
    }
    None
}

/// `crate::a → crate::b → crate::a`, then each edge with the line that creates it.
fn describe(cycle: &[ModPath], edges: &Edges) -> String {
    let mut lines = vec![cycle
        .iter()
        .map(|module| module.join("::"))
        .collect::<Vec<_>>()
        .join(" → ")];
    for pair in cycle.windows(2) {
        let (from, to) = (pair[0].join("::"), pair[1].join("::"));
        lines.push(format!(
            "    {from} → {to}: {}",
            edges[&(pair[0].clone(), pair[1].clone())]
        ));
    }
    lines.join("\n")
}

/// Every `SilentLoginCode::Name` in non-test code under `dirs`, with where it first appears.
fn raised_codes(root: &Path, dirs: &[&str]) -> BTreeMap<String, String> {
    let mut raised = BTreeMap::new();
    for dir in dirs {
        for file in rust_files(&root.join(dir)) {
            let tokens = non_test_tokens(&fs::read_to_string(&file).expect("readable source"));
            let display = file
                .strip_prefix(root)
                .unwrap_or(&file)
                .display()
                .to_string();
            for window in tokens.windows(3) {
                if window[0].text == "SilentLoginCode" && window[1].text == "::" {
                    let at = format!("{display}:{}", window[2].line);
                    raised.entry(window[2].text.clone()).or_insert(at);
                }
            }
        }
    }
    raised
}
