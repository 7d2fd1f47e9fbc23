//! Reading a code as a user types it (`rdpdiag explain 0x904 0x7`).

/// Why a code could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeParseError {
    /// Nothing but spaces, or a bare `0x` / `h`.
    #[error("empty code {input:?}: give a number such as 2308 or 0x904")]
    Empty {
        /// The text as given.
        input: String,
    },
    /// A character that is not a digit of the chosen base.
    #[error("{input:?} is not a {base} number (write hex as 0x904 or 904h, decimal as 2308)")]
    InvalidDigit {
        /// The text as given.
        input: String,
        /// `decimal` or `hex`.
        base: &'static str,
    },
    /// More than 32 bits.
    #[error("{input:?} does not fit in 32 bits")]
    TooLarge {
        /// The text as given.
        input: String,
    },
}

/// Reads a disconnect or extended code.
///
/// Rules, so that `904` is never silently taken for `0x904`:
/// - `0x`/`0X` prefix or `h`/`H` suffix: hex (`0x904`, `904h`);
/// - otherwise hex if it contains a letter `a`-`f`/`A`-`F` (`B09` = 0xB09 = 2825);
/// - otherwise decimal (`2308`, `7`, and `904` = 904, not 0x904).
///
/// Surrounding spaces are ignored; signs, separators and other letters are errors.
pub fn parse_code(input: &str) -> Result<u32, CodeParseError> {
    let t = input.trim();
    let (digits, radix) = if let Some(rest) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        (rest, 16)
    } else if let Some(rest) = t.strip_suffix('h').or_else(|| t.strip_suffix('H')) {
        (rest, 16)
    } else if t.bytes().any(|b| matches!(b, b'a'..=b'f' | b'A'..=b'F')) {
        (t, 16)
    } else {
        (t, 10)
    };
    if digits.is_empty() {
        return Err(CodeParseError::Empty { input: input.into() });
    }
    let valid = if radix == 16 {
        digits.bytes().all(|b| b.is_ascii_hexdigit())
    } else {
        digits.bytes().all(|b| b.is_ascii_digit())
    };
    if !valid {
        return Err(CodeParseError::InvalidDigit {
            input: input.into(),
            base: if radix == 16 { "hex" } else { "decimal" },
        });
    }
    // Only digits are left, so the one remaining failure is overflow.
    u32::from_str_radix(digits, radix).map_err(|_| CodeParseError::TooLarge { input: input.into() })
}
