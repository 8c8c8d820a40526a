//! `lakewarden check-config FILE`: the functions' own validation (`lakewarden::config::parse`),
//! with each problem's key path located on a line of the document.

use lakewarden::config::{self, Config, ConfigError};

/// One problem: the message the functions give at cold start, and the line of its key.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub message: String,
    pub path: Option<String>,
    pub line: Option<usize>,
}

/// Validate `text` exactly as a function does at cold start.
pub fn check(text: &str, origin: &str) -> Result<Config, (ConfigError, Vec<Problem>)> {
    match config::parse(text, origin) {
        Ok(c) => Ok(c),
        Err(e) => {
            let problems = e.problems.iter().map(|p| locate(text, p)).collect();
            Err((e, problems))
        }
    }
}

/// Render a rejected configuration: `FILE:LINE: key.path: message`, one per problem.
pub fn render(origin: &str, problems: &[Problem]) -> String {
    let mut out = format!(
        "invalid lakewarden configuration ({origin}): {} problem(s)\n",
        problems.len()
    );
    for p in problems {
        match p.line {
            Some(l) => out.push_str(&format!("{origin}:{l}: {}\n", p.message)),
            None => out.push_str(&format!("{origin}: {}\n", p.message)),
        }
    }
    out
}

/// The key path a problem message starts with (`producer.shares[0].consumers[1]: …`) and its
/// line in `text`.
pub fn locate(text: &str, message: &str) -> Problem {
    let path = message
        .split_once(": ")
        .map(|(p, _)| p.trim())
        .filter(|p| is_path(p))
        .map(String::from);
    // Parse errors of the YAML/JSON reader already say where they are.
    let mut line = line_in_message(message);
    if line.is_none() {
        if let Some(p) = &path {
            // An unknown key: the path names its parent; the key itself is more precise.
            if let Some(unknown) = between(message, "unknown field `", "`") {
                line = line_of(text, &format!("{p}.{unknown}"));
            }
            if line.is_none() {
                line = line_of(text, p);
            }
        } else if let Some(unknown) = between(message, "unknown field `", "`") {
            line = line_of(text, unknown);
        }
    }
    Problem {
        message: message.to_string(),
        path,
        line,
    }
}

fn is_path(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.[]".contains(c))
        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let i = s.find(start)? + start.len();
    let j = s[i..].find(end)? + i;
    Some(&s[i..j])
}

/// `… at line 5 column 7` (serde_norway) or `… line 5 column 7` (serde_json).
fn line_in_message(m: &str) -> Option<usize> {
    let i = m.rfind("line ")? + 5;
    let digits: String = m[i..].chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(String),
    Index(usize),
}

fn segments(path: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (name, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !name.is_empty() {
            out.push(Seg::Key(name.to_string()));
        }
        while let Some(r) = rest.strip_prefix('[') {
            let Some(end) = r.find(']') else { break };
            if let Ok(i) = r[..end].parse() {
                out.push(Seg::Index(i));
            }
            rest = &r[end + 1..];
        }
    }
    out
}

/// The 1-based line where the value at `path` (`producer.shares[0].consumers[1]`) is written
/// in a YAML or JSON document, or None when it cannot be found.
pub fn line_of(text: &str, path: &str) -> Option<usize> {
    let segs = segments(path);
    if segs.is_empty() {
        return None;
    }
    if text.trim_start().starts_with('{') {
        json_line_of(text, &segs)
    } else {
        yaml_line_of(text, &segs)
    }
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

fn is_blank(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#') || t == "---"
}

/// Whether `s` (a line or the rest of one) starts with `key:`.
fn starts_with_key(s: &str, key: &str) -> bool {
    for q in ["", "\"", "'"] {
        let k = format!("{q}{key}{q}");
        if let Some(rest) = s.strip_prefix(&k) {
            if rest.trim_start().starts_with(':') {
                return true;
            }
        }
    }
    false
}

/// A key inside a flow mapping on one line (`alerts: { topic_arn: x }`).
fn flow_has_key(s: &str, key: &str) -> bool {
    s.match_indices(key).any(|(i, _)| {
        let before = s[..i].trim_end();
        let after = s[i + key.len()..].trim_start_matches(['"', '\'']);
        (before.ends_with('{') || before.ends_with(',') || before.ends_with('"'))
            && after.trim_start().starts_with(':')
    })
}

/// Line-based YAML walk: each segment is searched inside the block of the previous one (the
/// lines indented deeper than it), list items counted by their `- ` markers. Flow collections
/// (`{…}`, `[…]`) resolve to their line.
fn yaml_line_of(text: &str, segs: &[Seg]) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    // The current node: the line it starts on, the column of its content, and the text on that
    // line that belongs to it (after `key:` or `- `).
    let mut start = 0usize; // first line of the block to search
    let mut end = lines.len(); // one past its last line
    let mut parent_col: isize = -1;
    let mut here: Option<(usize, String)> = None; // (line, rest of line) of the current node
    for seg in segs {
        // A flow collection on the current node's line holds the whole subtree.
        if let Some((l, rest)) = &here {
            let r = rest.trim();
            if r.starts_with('{') || r.starts_with('[') {
                return match seg {
                    Seg::Key(k) if !flow_has_key(r, k) => None,
                    _ => Some(l + 1),
                };
            }
        }
        let mut found = None;
        match seg {
            Seg::Key(k) => {
                for (i, line) in lines.iter().enumerate().take(end).skip(start) {
                    if is_blank(line) {
                        continue;
                    }
                    let col = indent(line) as isize;
                    let mut content = line.trim_start();
                    let mut c = col;
                    // The first key of a list item sits after `- `.
                    while let Some(r) = content.strip_prefix("- ") {
                        c += (content.len() - r.trim_start().len()) as isize;
                        content = r.trim_start();
                    }
                    if c <= parent_col {
                        continue;
                    }
                    if starts_with_key(content, k) {
                        let rest = content.split_once(':').map(|x| x.1).unwrap_or("");
                        found = Some((i, c, rest.to_string()));
                        break;
                    }
                }
            }
            Seg::Index(n) => {
                let mut count = 0usize;
                let mut item_col: Option<isize> = None;
                for (i, line) in lines.iter().enumerate().take(end).skip(start) {
                    if is_blank(line) {
                        continue;
                    }
                    let content = line.trim_start();
                    let col = indent(line) as isize;
                    if col <= parent_col && !content.starts_with("- ") {
                        break;
                    }
                    if content == "-" || content.starts_with("- ") {
                        match item_col {
                            None => item_col = Some(col),
                            Some(ic) if ic != col => continue,
                            _ => {}
                        }
                        if count == *n {
                            let rest = content.trim_start_matches('-').trim_start();
                            // The item's content column is after `- `.
                            let c = col + (content.len() - rest.len()) as isize;
                            found = Some((i, c - 1, rest.to_string()));
                            break;
                        }
                        count += 1;
                    }
                }
            }
        }
        let (line_no, col, rest) = found?;
        // The block of this node: following lines indented deeper than its column.
        let mut block_end = line_no + 1;
        while block_end < end {
            let l = lines[block_end];
            if !is_blank(l) && (indent(l) as isize) <= col {
                // A sibling list item at the same column ends it too.
                break;
            }
            block_end += 1;
        }
        // Keys of a list item continue on the item's own line.
        start = if matches!(seg, Seg::Index(_)) {
            line_no
        } else {
            line_no + 1
        };
        end = block_end;
        parent_col = col;
        here = Some((line_no, rest));
    }
    here.map(|(l, _)| l + 1)
}

/// JSON: a small scanner that follows the path through objects and arrays, counting lines.
fn json_line_of(text: &str, segs: &[Seg]) -> Option<usize> {
    let b = text.as_bytes();
    let mut pos = 0usize;
    for seg in segs {
        skip_ws(b, &mut pos);
        match seg {
            Seg::Key(k) => {
                if b.get(pos) != Some(&b'{') {
                    return None;
                }
                pos += 1;
                loop {
                    skip_ws(b, &mut pos);
                    match b.get(pos) {
                        Some(b'}') | None => return None,
                        Some(b',') => {
                            pos += 1;
                            continue;
                        }
                        _ => {}
                    }
                    let key = read_string(b, &mut pos)?;
                    skip_ws(b, &mut pos);
                    if b.get(pos) != Some(&b':') {
                        return None;
                    }
                    pos += 1;
                    skip_ws(b, &mut pos);
                    if key == *k {
                        break;
                    }
                    skip_value(b, &mut pos)?;
                }
            }
            Seg::Index(n) => {
                if b.get(pos) != Some(&b'[') {
                    return None;
                }
                pos += 1;
                let mut i = 0;
                loop {
                    skip_ws(b, &mut pos);
                    match b.get(pos) {
                        Some(b']') | None => return None,
                        Some(b',') => {
                            pos += 1;
                            continue;
                        }
                        _ => {}
                    }
                    if i == *n {
                        break;
                    }
                    skip_value(b, &mut pos)?;
                    i += 1;
                }
            }
        }
    }
    Some(text[..pos].matches('\n').count() + 1)
}

fn skip_ws(b: &[u8], pos: &mut usize) {
    while *pos < b.len() && b[*pos].is_ascii_whitespace() {
        *pos += 1;
    }
}

fn read_string(b: &[u8], pos: &mut usize) -> Option<String> {
    if b.get(*pos) != Some(&b'"') {
        return None;
    }
    let start = *pos + 1;
    let mut i = start;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => {
                *pos = i + 1;
                return serde_json::from_slice::<String>(&b[start - 1..=i]).ok();
            }
            _ => i += 1,
        }
    }
    None
}

fn skip_value(b: &[u8], pos: &mut usize) -> Option<()> {
    skip_ws(b, pos);
    match b.get(*pos)? {
        b'"' => {
            read_string(b, pos)?;
        }
        b'{' | b'[' => {
            let mut depth = 0i32;
            while *pos < b.len() {
                match b[*pos] {
                    b'"' => {
                        read_string(b, pos)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            *pos += 1;
                            return Some(());
                        }
                    }
                    _ => {}
                }
                *pos += 1;
            }
            return None;
        }
        _ => {
            while *pos < b.len() && !matches!(b[*pos], b',' | b'}' | b']') {
                *pos += 1;
            }
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = "dry_run: false
alerts: { topic_arn: nope }
producer:
  shares:
    - database: cur_org
      consumers: [\"222222222222\"]
    - database: \"cur_[\"
      consumers:
        - \"2222\"
        - \"*\"
      table_permissions: [READ]
consumer:
  trusted_producers: [\"111111111111\"]
";

    #[test]
    fn yaml_paths_find_their_lines() {
        assert_eq!(line_of(YAML, "dry_run"), Some(1));
        assert_eq!(line_of(YAML, "alerts.topic_arn"), Some(2));
        assert_eq!(line_of(YAML, "producer.shares[0].database"), Some(5));
        assert_eq!(line_of(YAML, "producer.shares[0].consumers[0]"), Some(6));
        assert_eq!(line_of(YAML, "producer.shares[1]"), Some(7));
        assert_eq!(line_of(YAML, "producer.shares[1].database"), Some(7));
        assert_eq!(line_of(YAML, "producer.shares[1].consumers[1]"), Some(10));
        assert_eq!(
            line_of(YAML, "producer.shares[1].table_permissions"),
            Some(11)
        );
        assert_eq!(line_of(YAML, "consumer.trusted_producers"), Some(13));
        assert_eq!(line_of(YAML, "producer.shares[2]"), None);
        assert_eq!(line_of(YAML, "consumer.links"), None);
    }

    #[test]
    fn json_paths_find_their_lines() {
        let j = "{\n  \"dry_run\": true,\n  \"producer\": {\"shares\": [\n    {\"database\": \"a\", \"consumers\": [\"1\"]},\n    {\"database\": \"b\",\n     \"consumers\": [\"x\", \"y\"]}\n  ]}\n}\n";
        assert_eq!(line_of(j, "dry_run"), Some(2));
        assert_eq!(line_of(j, "producer.shares[0].database"), Some(4));
        assert_eq!(line_of(j, "producer.shares[1].consumers[1]"), Some(6));
        assert_eq!(line_of(j, "producer.shares[2]"), None);
    }

    #[test]
    fn every_problem_of_the_functions_validation_gets_its_line() {
        let (_, problems) = check(YAML, "f.yaml").unwrap_err();
        let lines: Vec<(Option<usize>, &str)> = problems
            .iter()
            .map(|p| (p.line, p.path.as_deref().unwrap_or("")))
            .collect();
        assert!(lines.contains(&(Some(2), "alerts.topic_arn")), "{lines:?}");
        assert!(
            lines.contains(&(Some(7), "producer.shares[1].database")),
            "{lines:?}"
        );
        assert!(
            lines.contains(&(Some(9), "producer.shares[1].consumers[0]")),
            "{lines:?}"
        );
        assert!(
            lines.contains(&(Some(10), "producer.shares[1].consumers[1]")),
            "{lines:?}"
        );
        assert!(problems.iter().all(|p| p.line.is_some()), "{problems:?}");
    }

    #[test]
    fn an_unknown_key_points_at_the_key() {
        let text = "producer:\n  shares:\n    - database: x\n      consumers: [\"222222222222\"]\n      grantabel: true\n";
        let (_, problems) = check(text, "f.yaml").unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, Some(5), "{problems:?}");
        assert!(problems[0].message.contains("grantabel"));
    }
}
