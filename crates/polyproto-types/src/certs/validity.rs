//! Validity periods in UNIX seconds.

use std::time::{Duration, SystemTime};

use x509_cert::time::Time;

use super::CertError;

/// A certificate's validity period, `notBefore` to `notAfter` inclusive, in UNIX seconds
/// (RFC 5280 §4.1.2.5; polyproto core §6.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Validity {
    /// First second of validity.
    pub not_before: u64,
    /// Last second of validity.
    pub not_after: u64,
}

impl Validity {
    /// `not_before` to `not_after`.
    ///
    /// # Errors
    /// [`CertError::ValidityOrder`] if `not_before > not_after`.
    pub fn new(not_before: u64, not_after: u64) -> Result<Self, CertError> {
        if not_before > not_after {
            return Err(CertError::ValidityOrder);
        }
        Ok(Self {
            not_before,
            not_after,
        })
    }

    /// Whether `now` lies in the period (both ends inclusive, as the reference SDK checks).
    pub fn contains(&self, now: u64) -> bool {
        self.not_before <= now && now <= self.not_after
    }

    /// Checks `now` lies in the period.
    ///
    /// # Errors
    /// [`CertError::NotYetValid`] or [`CertError::Expired`].
    pub fn check(&self, now: u64) -> Result<(), CertError> {
        if now < self.not_before {
            return Err(CertError::NotYetValid {
                not_before: self.not_before,
                now,
            });
        }
        if now > self.not_after {
            return Err(CertError::Expired {
                not_after: self.not_after,
                now,
            });
        }
        Ok(())
    }

    pub(crate) fn from_x509(validity: &x509_cert::time::Validity) -> Result<Self, CertError> {
        Self::new(seconds(validity.not_before), seconds(validity.not_after))
    }

    /// The X.509 form: UTCTime up to 2049, GeneralizedTime after (RFC 5280 §4.1.2.5).
    pub(crate) fn to_x509(self) -> Result<x509_cert::time::Validity, CertError> {
        let time = |secs: u64| {
            Time::try_from(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
                .map_err(|e| CertError::Build(format!("validity time {secs}: {e}")))
        };
        Ok(x509_cert::time::Validity::new(
            time(self.not_before)?,
            time(self.not_after)?,
        ))
    }
}

fn seconds(time: Time) -> u64 {
    time.to_unix_duration().as_secs()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_both_ends_inclusively() {
        let v = Validity::new(100, 200).unwrap();
        assert!(v.check(100).is_ok() && v.check(200).is_ok());
        assert_eq!(
            v.check(99),
            Err(CertError::NotYetValid {
                not_before: 100,
                now: 99
            })
        );
        assert_eq!(
            v.check(201),
            Err(CertError::Expired {
                not_after: 200,
                now: 201
            })
        );
        assert_eq!(Validity::new(2, 1), Err(CertError::ValidityOrder));
    }

    #[test]
    fn x509_round_trip_uses_generalized_time_after_2049() {
        let v = Validity::new(1_700_000_000, 2_600_000_000).unwrap();
        let x = v.to_x509().unwrap();
        assert!(matches!(x.not_before, Time::UtcTime(_)));
        assert!(matches!(x.not_after, Time::GeneralTime(_)));
        assert_eq!(Validity::from_x509(&x).unwrap(), v);
    }
}
