//! [`BlobId`]: the key of a stored file, the SHA-256 of its content. It is the only thing a
//! storage path is built from, so it is parsed strictly at the boundary (exactly 64 lowercase
//! hexadecimal digits) and a user-supplied string never reaches the file system.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The identity of a stored file: the SHA-256 digest of its bytes.
///
/// Written as 64 lowercase hexadecimal digits. Two files with the same content have the same
/// id, which is why the store keeps identical uploads once.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BlobId([u8; 32]);

/// Why a string is not a [`BlobId`]. Messages are in Vietnamese: they reach the user when a
/// download link has been tampered with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlobIdError {
    /// Not exactly 64 characters.
    #[error("mã tệp phải gồm đúng 64 ký tự (nhận được {len})")]
    WrongLength {
        /// The number of characters received.
        len: usize,
    },
    /// A character other than `0-9` or `a-f`.
    #[error(
        "mã tệp chỉ được gồm các chữ số thập lục phân viết thường 0-9, a-f \
         (ký tự {found:?} ở vị trí {position})"
    )]
    NotHex {
        /// The offending character.
        found: char,
        /// Its position, counted from 1.
        position: usize,
    },
}

impl BlobId {
    /// The number of hexadecimal digits in the written form.
    pub const HEX_LEN: usize = 64;

    /// Parses the written form: exactly 64 lowercase hexadecimal digits. Upper case is refused
    /// so that each file has one spelling (one URL, one cache entry).
    pub fn parse(text: &str) -> Result<Self, BlobIdError> {
        let len = text.chars().count();
        if len != Self::HEX_LEN {
            return Err(BlobIdError::WrongLength { len });
        }
        if let Some((index, found)) = text
            .chars()
            .enumerate()
            .find(|(_, c)| !matches!(c, '0'..='9' | 'a'..='f'))
        {
            return Err(BlobIdError::NotHex {
                found,
                position: index + 1,
            });
        }
        let mut digest = [0_u8; 32];
        // Cannot fail: the length and the alphabet were checked above.
        hex::decode_to_slice(text, &mut digest).map_err(|_| BlobIdError::WrongLength { len })?;
        Ok(Self(digest))
    }

    /// The id of `content`, hashing it whole.
    #[must_use]
    pub fn of(content: &[u8]) -> Self {
        Self(Sha256::digest(content).into())
    }

    /// Wraps a SHA-256 digest computed elsewhere (e.g. while streaming).
    #[must_use]
    pub const fn from_digest(digest: [u8; 32]) -> Self {
        Self(digest)
    }

    /// The raw digest.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The written form: 64 lowercase hexadecimal digits.
    #[must_use]
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The key of the blob inside any store: `sha256/ab/cd/<hex>`. The two levels of two-digit
    /// directories keep each directory small (at most 256 entries per level) on local disk; an
    /// object store uses the same string as its object key so both layouts match.
    #[must_use]
    pub fn storage_key(&self) -> String {
        let hex = self.to_hex();
        format!("sha256/{}/{}/{hex}", &hex[0..2], &hex[2..4])
    }
}

impl fmt::Display for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobId({})", self.to_hex())
    }
}

impl FromStr for BlobId {
    type Err = BlobIdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl TryFrom<String> for BlobId {
    type Error = BlobIdError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<BlobId> for String {
    fn from(id: BlobId) -> Self {
        id.to_hex()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn the_id_of_empty_content_is_the_well_known_sha256() {
        assert_eq!(BlobId::of(b"").to_hex(), EMPTY_SHA256);
    }

    #[test]
    fn parsing_the_written_form_gives_back_the_same_id() {
        let id = BlobId::of(b"bien ban");
        assert_eq!(BlobId::parse(&id.to_string()), Ok(id));
    }

    #[test]
    fn storage_key_fans_out_by_the_first_four_digits() {
        let id = BlobId::parse(EMPTY_SHA256).unwrap();
        assert_eq!(id.storage_key(), format!("sha256/e3/b0/{EMPTY_SHA256}"));
    }

    #[test]
    fn parse_refuses_wrong_lengths() {
        assert_eq!(BlobId::parse(""), Err(BlobIdError::WrongLength { len: 0 }));
        assert_eq!(
            BlobId::parse(&EMPTY_SHA256[..63]),
            Err(BlobIdError::WrongLength { len: 63 })
        );
        assert_eq!(
            BlobId::parse(&format!("{EMPTY_SHA256}0")),
            Err(BlobIdError::WrongLength { len: 65 })
        );
    }

    #[test]
    fn parse_refuses_non_hex_upper_case_and_path_characters() {
        let mut upper = EMPTY_SHA256.to_owned();
        upper.replace_range(0..1, "E");
        assert_eq!(
            BlobId::parse(&upper),
            Err(BlobIdError::NotHex {
                found: 'E',
                position: 1
            })
        );
        let traversal = format!("../{}", &EMPTY_SHA256[3..]);
        assert!(matches!(
            BlobId::parse(&traversal),
            Err(BlobIdError::NotHex { found: '.', .. })
        ));
        let vietnamese = format!("{}đ", &EMPTY_SHA256[..63]);
        assert_eq!(
            BlobId::parse(&vietnamese),
            Err(BlobIdError::NotHex {
                found: 'đ',
                position: 64
            })
        );
    }

    #[test]
    fn serde_goes_through_the_validating_parser() {
        let id = BlobId::of(b"x");
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        assert_eq!(serde_json::from_str::<BlobId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<BlobId>("\"../../etc/passwd\"").is_err());
    }

    #[test]
    fn error_messages_are_in_vietnamese() {
        assert_eq!(
            BlobIdError::WrongLength { len: 3 }.to_string(),
            "mã tệp phải gồm đúng 64 ký tự (nhận được 3)"
        );
    }
}
