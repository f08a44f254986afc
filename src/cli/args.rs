//! The pure parsers of argument values clap calls: sizes, `NAME=PATH` tables and `KEY=VALUE`
//! parameters. Each returns the message clap prints after the flag.
use std::path::PathBuf;

/// `512M`, `8G`, `100k` or a plain number of bytes.
pub fn parse_size(raw: &str) -> Result<usize, String> {
    let text = raw.trim().to_ascii_uppercase();
    let text = text.strip_suffix("IB").or_else(|| text.strip_suffix('B')).unwrap_or(&text);
    let (digits, scale) = match text.chars().last() {
        Some('K') => (&text[..text.len() - 1], 1usize << 10),
        Some('M') => (&text[..text.len() - 1], 1 << 20),
        Some('G') => (&text[..text.len() - 1], 1 << 30),
        Some('T') => (&text[..text.len() - 1], 1 << 40),
        _ => (text, 1),
    };
    let value: f64 =
        digits.trim().parse().map_err(|_| format!("{raw:?} is not a size such as 512M or 8G"))?;
    if value.is_nan() || value <= 0.0 {
        return Err(format!("{raw:?}: the size must be above zero"));
    }
    Ok((value * scale as f64) as usize)
}

/// `NAME=PATH`: a table name of letters, digits and `_`, and a file or directory.
pub fn parse_table(raw: &str) -> Result<(String, PathBuf), String> {
    let (name, path) = raw
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=PATH, got {raw:?} (for example --table extra=new.csv)"))?;
    let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(format!("table name {name:?} must be letters, digits and _ only"));
    }
    if path.is_empty() {
        return Err(format!("no path given for table {name}"));
    }
    Ok((name.to_string(), PathBuf::from(path)))
}

/// `KEY=VALUE` (a saved query's parameter); the value may be empty or hold `=`.
pub fn parse_param(raw: &str) -> Result<(String, String), String> {
    let (k, v) = raw.split_once('=').ok_or_else(|| format!("expected KEY=VALUE, got {raw:?}"))?;
    if k.trim().is_empty() {
        return Err(format!("no parameter name in {raw:?}"));
    }
    Ok((k.trim().to_string(), v.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("8g"), Ok(8 << 30));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size("100kb"), Ok(100 << 10));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("lots").unwrap_err().contains("not a size such as 512M"));
        assert!(parse_size("0").unwrap_err().contains("above zero"));
        assert!(parse_size("-1G").is_err());
    }

    #[test]
    fn tables() {
        assert_eq!(parse_table("extra=data/new.csv"), Ok(("extra".into(), PathBuf::from("data/new.csv"))));
        assert!(parse_table("extra").unwrap_err().contains("NAME=PATH"));
        assert!(parse_table("bad name=x.csv").unwrap_err().contains("letters, digits and _"));
        assert!(parse_table("x=").unwrap_err().contains("no path"));
    }

    #[test]
    fn params() {
        assert_eq!(parse_param("indicator=eid_accounts"), Ok(("indicator".into(), "eid_accounts".into())));
        assert_eq!(parse_param(" province =Nghệ An"), Ok(("province".into(), "Nghệ An".into())));
        assert_eq!(parse_param("note=a=b"), Ok(("note".into(), "a=b".into())));
        assert_eq!(parse_param("since="), Ok(("since".into(), String::new())));
        assert!(parse_param("indicator").unwrap_err().contains("KEY=VALUE"));
        assert!(parse_param("=x").unwrap_err().contains("no parameter name"));
    }
}
