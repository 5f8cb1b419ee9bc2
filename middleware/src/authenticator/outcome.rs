//! How a code exchange ended, as replicas hand it to each other through the store — with a MAC,
//! so that whoever can write to the store still cannot make a replica vouch for an identity.
//!
//! The MAC (HMAC-SHA-256) uses a subkey of the session key ring and covers the app, the code's
//! fingerprint and the outcome: an outcome cannot be forged, altered, or moved to another code
//! or app. Every replica needs the same key ring, as it already does to open sessions.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::{ErrorRecord, LoginError};
use crate::identity::Identity;
use crate::session::KeyRing;

type HmacSha256 = Hmac<Sha256>;

/// What the subkeys are for; a new purpose gives unrelated keys.
const PURPOSE: &str = "silent-login shared exchange outcome v1";

/// How a shared code exchange ended.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) enum Outcome {
    #[serde(rename = "identity")]
    Identity(Identity),
    #[serde(rename = "error")]
    Error(ErrorRecord),
}

impl Outcome {
    pub(super) fn of(result: &Result<Identity, LoginError>) -> Self {
        match result {
            Ok(identity) => Outcome::Identity(identity.clone()),
            Err(error) => Outcome::Error(error.to_record()),
        }
    }

    pub(super) fn into_result(self) -> Result<Identity, LoginError> {
        match self {
            Outcome::Identity(identity) => Ok(identity),
            Outcome::Error(record) => Err(LoginError::from_record(record)),
        }
    }
}

/// Why a shared outcome was refused.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Refused {
    /// Not `<key id>.<mac>.<json>`.
    Malformed,
    /// Signed with a key this replica does not hold.
    UnknownKey,
    /// The MAC does not match: forged, altered, or for another code or app.
    BadMac,
    /// Authentic, but not an outcome this release understands.
    Unreadable,
}

/// Signs and verifies outcomes with subkeys of the session key ring.
#[derive(Clone)]
pub(super) struct OutcomeSigner {
    /// `(key id, subkey)`, the current key first.
    keys: Vec<(String, [u8; 32])>,
}

impl fmt::Debug for OutcomeSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("OutcomeSigner")
            .field("key_ids", &ids)
            .finish_non_exhaustive()
    }
}

impl OutcomeSigner {
    pub(super) fn new(ring: &KeyRing) -> Self {
        Self {
            keys: ring.subkeys(PURPOSE),
        }
    }

    fn mac(key: &[u8; 32], app: &str, fingerprint: &str, json: &str) -> Option<HmacSha256> {
        let mut mac = HmacSha256::new_from_slice(key).ok()?;
        for part in [app, fingerprint, json] {
            // Length-prefixed, so no two different triples give the same input.
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        Some(mac)
    }

    /// `<key id>.<mac hex>.<json>` for the outcome of `fingerprint`'s exchange in `app`.
    pub(super) fn sign(&self, outcome: &Outcome, app: &str, fingerprint: &str) -> Option<String> {
        let (id, key) = self.keys.first()?;
        let json = serde_json::to_string(outcome).ok()?;
        let tag = Self::mac(key, app, fingerprint, &json)?
            .finalize()
            .into_bytes();
        Some(format!("{id}.{}.{json}", hex::encode(tag)))
    }

    /// The outcome, if it carries a valid MAC for this app and code.
    pub(super) fn verify(
        &self,
        signed: &str,
        app: &str,
        fingerprint: &str,
    ) -> Result<Outcome, Refused> {
        let mut parts = signed.splitn(3, '.');
        let (Some(id), Some(tag), Some(json)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(Refused::Malformed);
        };
        let tag = hex::decode(tag).map_err(|_| Refused::Malformed)?;
        if id.len() != 8 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Refused::Malformed);
        }
        let (_, key) = self
            .keys
            .iter()
            .find(|(known, _)| known == id)
            .ok_or(Refused::UnknownKey)?;
        Self::mac(key, app, fingerprint, json)
            .ok_or(Refused::BadMac)?
            .verify_slice(&tag)
            .map_err(|_| Refused::BadMac)?;
        serde_json::from_str(json).map_err(|_| Refused::Unreadable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::ProviderKind;
    use crate::session::SessionKey;

    fn admin() -> Outcome {
        Outcome::Identity(Identity::new(crate::IdentityFields {
            provider: ProviderKind::DingTalk,
            user_id: "admin".into(),
            union_id: None,
            open_id: None,
            name: None,
            tenant: Some("corp".into()),
            is_admin: true,
            extra: Default::default(),
        }))
    }

    #[test]
    fn a_signed_outcome_verifies_only_for_its_app_and_code() {
        let signer = OutcomeSigner::new(&KeyRing::new(SessionKey::generate()));
        let signed = signer.sign(&admin(), "dingtalk:app", "fp1").unwrap();
        assert!(signer.verify(&signed, "dingtalk:app", "fp1").is_ok());
        assert_eq!(
            signer.verify(&signed, "dingtalk:app", "fp2").err(),
            Some(Refused::BadMac),
            "moved to another code"
        );
        assert_eq!(
            signer.verify(&signed, "dingtalk:other", "fp1").err(),
            Some(Refused::BadMac),
            "moved to another app"
        );
    }

    #[test]
    fn forged_and_altered_outcomes_are_refused() {
        let ring = KeyRing::new(SessionKey::generate());
        let signer = OutcomeSigner::new(&ring);
        let json = serde_json::to_string(&admin()).unwrap();
        let key_id = ring.keys().next().unwrap().id().to_owned();
        for forged in [
            json.clone(),
            format!("{key_id}.{}.{json}", "00".repeat(32)),
            format!("{key_id}.zz.{json}"),
        ] {
            assert!(signer.verify(&forged, "a", "fp").is_err(), "{forged}");
        }
        let signed = signer.sign(&admin(), "a", "fp").unwrap();
        let altered = signed.replace("\"admin\"", "\"alice\"");
        assert_eq!(
            signer.verify(&altered, "a", "fp").err(),
            Some(Refused::BadMac)
        );
        let other = OutcomeSigner::new(&KeyRing::new(SessionKey::generate()));
        assert_eq!(
            other.verify(&signed, "a", "fp").err(),
            Some(Refused::UnknownKey),
            "a replica with another key ring cannot verify"
        );
    }
}
