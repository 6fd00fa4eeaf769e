//! Certificate serial numbers.

use std::fmt;
use std::str::FromStr;

use x509_cert::serial_number::SerialNumber;

use super::CertError;

/// A certificate serial number: a positive integer of at most 20 bytes (RFC 5280 §4.1.2.2),
/// unique among the certificates a home server issues (polyproto core §6.1.1).
///
/// Displayed in decimal, the form the cache signature signs (docs/wire-contract.md §4.3). Serials this
/// project issues are random and at most 63 bits, so that every implementation can hold them
/// in a signed or unsigned 64-bit integer.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Serial {
    /// Big-endian magnitude without leading zero bytes; never empty.
    magnitude: Vec<u8>,
}

impl Serial {
    /// The serial with this value.
    ///
    /// # Errors
    /// [`CertError::Serial`] for zero, which RFC 5280 §4.1.2.2 does not allow.
    pub fn from_u64(value: u64) -> Result<Self, CertError> {
        Self::from_magnitude(&value.to_be_bytes())
    }

    /// A random serial of at most 63 bits, never zero (docs/wire-contract.md §4.1).
    pub fn random() -> Self {
        loop {
            let value = crate::random::u64() >> 1;
            if let Ok(serial) = Self::from_u64(value) {
                return serial;
            }
        }
    }

    /// The serial from its big-endian magnitude (leading zeros allowed).
    ///
    /// # Errors
    /// [`CertError::Serial`] for zero or more than 20 significant bytes.
    pub fn from_magnitude(bytes: &[u8]) -> Result<Self, CertError> {
        let start = bytes
            .iter()
            .position(|b| *b != 0)
            .ok_or(CertError::Serial)?;
        let magnitude = bytes[start..].to_vec();
        if magnitude.len() > 20 {
            return Err(CertError::Serial);
        }
        Ok(Self { magnitude })
    }

    /// Reads an X.509 serial number, refusing zero and negative values.
    pub(crate) fn from_x509(serial: &SerialNumber) -> Result<Self, CertError> {
        // `as_bytes` is the two's-complement content: a set high bit means negative.
        let bytes = serial.as_bytes();
        if bytes.first().is_none_or(|b| b & 0x80 != 0) {
            return Err(CertError::Serial);
        }
        Self::from_magnitude(bytes)
    }

    /// The X.509 form.
    pub(crate) fn to_x509(&self) -> Result<SerialNumber, CertError> {
        SerialNumber::new(&self.magnitude).map_err(|_| CertError::Serial)
    }

    /// The value, if it fits a `u64`.
    pub fn to_u64(&self) -> Option<u64> {
        if self.magnitude.len() > 8 {
            return None;
        }
        Some(
            self.magnitude
                .iter()
                .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)),
        )
    }

    /// The big-endian magnitude without leading zeros.
    pub fn as_bytes(&self) -> &[u8] {
        &self.magnitude
    }
}

impl fmt::Display for Serial {
    /// Decimal, by repeated division of the big-endian magnitude by 10.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(value) = self.to_u64() {
            return write!(f, "{value}");
        }
        let mut digits = Vec::new();
        let mut number = self.magnitude.clone();
        while number.iter().any(|b| *b != 0) {
            let mut remainder = 0u16;
            for byte in &mut number {
                let current = (remainder << 8) | u16::from(*byte);
                // current < 2560, so the quotient fits a byte.
                *byte = u8::try_from(current / 10).unwrap_or(u8::MAX);
                remainder = current % 10;
            }
            digits.push(char::from(b'0' + u8::try_from(remainder).unwrap_or(0)));
        }
        let text: String = digits.iter().rev().collect();
        f.write_str(&text)
    }
}

impl FromStr for Serial {
    type Err = CertError;

    /// Parses a decimal serial.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() || s.len() > 49 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CertError::Serial);
        }
        // Multiply-add into a big-endian buffer of 21 bytes (enough for 49 digits).
        let mut number = [0u8; 21];
        for digit in s.bytes().map(|b| b - b'0') {
            let mut carry = u16::from(digit);
            for byte in number.iter_mut().rev() {
                let value = u16::from(*byte) * 10 + carry;
                *byte = (value & 0xff) as u8;
                carry = value >> 8;
            }
            if carry != 0 {
                return Err(CertError::Serial);
            }
        }
        Self::from_magnitude(&number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_round_trips() {
        for value in [1u64, 9, 10, 255, 65281, u64::MAX >> 1, u64::MAX] {
            let serial = Serial::from_u64(value).unwrap();
            assert_eq!(serial.to_string(), value.to_string());
            assert_eq!(serial.to_string().parse::<Serial>().unwrap(), serial);
        }
        let big = Serial::from_magnitude(&[0xff; 20]).unwrap();
        assert_eq!(
            big.to_string(),
            "1461501637330902918203684832716283019655932542975"
        );
        assert_eq!(big.to_string().parse::<Serial>().unwrap(), big);
        assert_eq!(
            Serial::from_magnitude(&[0, 0xff, 0x01])
                .unwrap()
                .to_string(),
            "65281"
        );
    }

    #[test]
    fn refuses_zero_negative_and_long() {
        assert_eq!(Serial::from_u64(0), Err(CertError::Serial));
        assert_eq!(Serial::from_magnitude(&[1; 21]), Err(CertError::Serial));
        assert!("".parse::<Serial>().is_err());
        assert!("12a".parse::<Serial>().is_err());
        assert!("0".parse::<Serial>().is_err());
        assert!(
            "1461501637330902918203684832716283019655932542976"
                .parse::<Serial>()
                .is_err()
        );
        let negative = SerialNumber::new(&[0x80]).unwrap();
        // SerialNumber::new treats its input as unsigned; the DER of a negative value is built
        // by decoding raw content instead.
        let positive = Serial::from_x509(&negative).unwrap();
        assert_eq!(positive.to_u64(), Some(0x80));
        use der::Decode;
        let negative =
            SerialNumber::<x509_cert::certificate::Rfc5280>::from_der(&[0x02, 0x01, 0x80]);
        if let Ok(negative) = negative {
            assert_eq!(Serial::from_x509(&negative), Err(CertError::Serial));
        }
    }

    #[test]
    fn random_serials_are_positive_63_bit() {
        for _ in 0..100 {
            let value = Serial::random().to_u64().unwrap();
            assert!(value > 0 && value < 1 << 63);
        }
    }
}
