//! Where the emulator keeps its users: compactly, so that a million fit in well under 300 MB
//! (issue #11).
//!
//! # Why not a map of [`StoredUser`]s
//!
//! The first version kept `HashMap<(org, app, user id), StoredUser>`. Measured with a counting
//! allocator under mimalloc (the `logrocket` binary's allocator) for 1,000,000 users in the
//! shape of `bench/gen_users.py` (name, email, three traits), it took about 1,300 bytes per
//! user:
//!
//! | what | bytes per user |
//! |---|---:|
//! | a `BTreeMap` leaf node per user for three traits (room for 11, rounded up to 640 B) | 640 |
//! | the hash table: 232-byte buckets, half empty just past a doubling | 491 |
//! | org, app and user id twice each (key and value), 6 allocations | 64 |
//! | trait keys and values, 6 allocations | 52 |
//! | name and email, 2 allocations | 57 |
//!
//! `logrocket emulator` measured 1,291 MB of RSS at a million users (1,461 MB at peak, while
//! the table doubled). See bench/README.md, "Emulator memory (#11)".
//!
//! # What it keeps instead
//!
//! * One hash set of users per (org, app), nested under org and app, so org and app are
//!   stored once per app rather than twice per user (and `users()` comes out in order).
//! * Each user is a single heap allocation, a [`Record`]: the user id, first and last seen,
//!   name, email and traits packed into one byte string (lengths as LEB128 varints). The
//!   table's bucket is just that boxed slice, 16 bytes, so a half-empty table costs ~34 bytes
//!   per user instead of ~490, and the set is looked up by the user id inside the record.
//! * Trait keys are interned: a user's trait is (key number, value); a million users with the
//!   keys `plan`, `revenue` and `campaign` keep those three strings once.
//!
//! A user of `gen_users.py` packs into about 95 bytes, 96 with the allocator's rounding; with
//! the table, 130 to 144 bytes per user, a tenth of before. `logrocket emulator` now holds a
//! million such users in 166 MB of RSS (174 MB at peak), the request log included.
//!
//! The price is CPU on each update (a record is decoded, changed and written again) and on
//! reads (records are turned back into [`StoredUser`]s), small next to the HTTP request
//! around it.

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};

use crate::body::IdentifyBody;
use crate::state::StoredUser;

/// Every user, per org and app, compactly (see the module documentation for why).
#[derive(Debug, Default)]
pub(crate) struct UserStore {
    /// Org id, then app id, then the app's users. Nested `BTreeMap`s so listing comes out
    /// sorted by (org, app), with org and app kept once per app.
    apps: BTreeMap<String, BTreeMap<String, HashSet<Record>>>,
    keys: TraitKeys,
}

impl UserStore {
    /// Forgets every user and every trait key.
    pub(crate) fn clear(&mut self) {
        self.apps.clear();
        self.keys = TraitKeys::default();
    }

    /// How many users are stored.
    pub(crate) fn len(&self) -> usize {
        self.apps
            .values()
            .flat_map(BTreeMap::values)
            .map(HashSet::len)
            .sum()
    }

    /// One user, by its decoded ids.
    pub(crate) fn get(&self, org_id: &str, app_id: &str, user_id: &str) -> Option<StoredUser> {
        let record = self
            .apps
            .get(org_id)?
            .get(app_id)?
            .get(user_id.as_bytes())?;
        Some(record.decode(org_id, app_id, &self.keys))
    }

    /// Every user, sorted by (org id, app id, user id).
    pub(crate) fn all(&self) -> Vec<StoredUser> {
        let mut users = Vec::with_capacity(self.len());
        self.for_each_sorted(|user| users.push(user));
        users
    }

    /// Calls `f` with every user in (org id, app id, user id) order, one at a time, so a
    /// caller that only serializes them never holds them all as [`StoredUser`]s at once.
    pub(crate) fn for_each_sorted(&self, mut f: impl FnMut(StoredUser)) {
        for (org_id, apps) in &self.apps {
            for (app_id, users) in apps {
                let mut records: Vec<&Record> = users.iter().collect();
                // Byte order of UTF-8 is the order of the strings, as `String`'s `Ord` has it.
                records.sort_unstable_by(|a, b| a.user_id().cmp(b.user_id()));
                for record in records {
                    f(record.decode(org_id, app_id, &self.keys));
                }
            }
        }
    }

    /// Applies one identify request with the API's merge rules and returns the user as it
    /// now is: name and email replaced when sent, each trait set or (blank) removed in the
    /// order sent, first seen the earliest and last seen the latest time seen.
    pub(crate) fn merge(
        &mut self,
        org_id: String,
        app_id: String,
        user_id: String,
        update: IdentifyBody,
        seen_at: i64,
    ) -> StoredUser {
        let users = self
            .apps
            .entry(org_id.clone())
            .or_default()
            .entry(app_id.clone())
            .or_default();
        let mut user = match users.take(user_id.as_bytes()) {
            Some(record) => record.decode(&org_id, &app_id, &self.keys),
            None => StoredUser {
                org_id,
                app_id,
                user_id,
                name: None,
                email: None,
                traits: BTreeMap::new(),
                first_seen: seen_at,
                last_seen: seen_at,
            },
        };
        if let Some(name) = update.name {
            user.name = Some(name);
        }
        if let Some(email) = update.email {
            user.email = Some(email);
        }
        for (key, value) in update.traits {
            match value {
                Some(value) => {
                    user.traits.insert(key, value);
                }
                None => {
                    user.traits.remove(&key);
                }
            }
        }
        user.first_seen = user.first_seen.min(seen_at);
        user.last_seen = user.last_seen.max(seen_at);
        users.insert(Record::encode(&user, &mut self.keys));
        user
    }

    /// Bytes of heap the users take, as requested from the allocator (before its rounding):
    /// every record, every table at its capacity, the org and app names and the trait keys.
    /// An accounting figure for tests and benchmarks; the process's RSS also holds the
    /// allocator's rounding and free space, the request log and the runtime.
    #[cfg(test)]
    pub(crate) fn heap_bytes(&self) -> usize {
        let bucket = size_of::<Record>() + 1; // hashbrown: the slot and one control byte
        let mut total = self.keys.heap_bytes();
        for (org_id, apps) in &self.apps {
            total += org_id.capacity();
            for (app_id, users) in apps {
                total += app_id.capacity();
                // `capacity()` is 7/8 of the buckets once past a few.
                total += (users.capacity() * 8 / 7 + 1) * bucket;
                total += users.iter().map(|record| record.0.len()).sum::<usize>();
            }
        }
        total
    }
}

/// Trait keys by number: a record stores a key's number, not its text.
///
/// Numbers are handed out in first-seen order and never reused until [`UserStore::clear`], so
/// the table holds every key ever sent since then (a few, in any realistic run; at worst as
/// many as the traits stored, which the users would have held as text anyway).
#[derive(Debug, Default)]
struct TraitKeys {
    numbers: HashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
}

impl TraitKeys {
    fn number(&mut self, key: &str) -> u32 {
        if let Some(&number) = self.numbers.get(key) {
            return number;
        }
        // Past u32::MAX keys memory would have run out long before.
        let number = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(key.into());
        self.numbers.insert(key.into(), number);
        number
    }

    fn name(&self, number: u64) -> Option<&str> {
        self.names
            .get(usize::try_from(number).ok()?)
            .map(|name| &**name)
    }

    #[cfg(test)]
    fn heap_bytes(&self) -> usize {
        let text: usize = self.names.iter().map(|name| name.len()).sum();
        text * 2
            + self.names.capacity() * size_of::<Box<str>>()
            + (self.numbers.capacity() * 8 / 7 + 1) * (size_of::<(Box<str>, u32)>() + 1)
    }
}

/// One user packed into one allocation, without org and app (the set it is in says those):
///
/// ```text
/// varint len, user id | first seen, i64 LE | last seen, i64 LE
/// | name:  varint 0 (none) or len + 1, text
/// | email: the same
/// | traits, to the end: varint key number, varint len, value text
/// ```
///
/// Hashed and compared by its user id alone, and borrowable as the id's bytes, so a
/// `HashSet<Record>` is a map from user id to user whose bucket is one 16-byte pointer.
#[derive(Debug)]
struct Record(Box<[u8]>);

/// Why decoding cannot fail: every record was written by [`Record::encode`].
const WELL_FORMED: &str = "a record is only ever written by Record::encode";

impl Record {
    fn encode(user: &StoredUser, keys: &mut TraitKeys) -> Self {
        let text_len = user.user_id.len()
            + user.name.as_ref().map_or(0, String::len)
            + user.email.as_ref().map_or(0, String::len)
            + user.traits.values().map(String::len).sum::<usize>();
        // Exact for short strings and few keys, so the boxed slice needs no reallocation.
        let mut bytes = Vec::with_capacity(text_len + 16 + 3 + user.traits.len() * 2);
        put_text(&mut bytes, &user.user_id);
        bytes.extend_from_slice(&user.first_seen.to_le_bytes());
        bytes.extend_from_slice(&user.last_seen.to_le_bytes());
        for field in [&user.name, &user.email] {
            match field {
                None => put_varint(&mut bytes, 0),
                Some(text) => {
                    put_varint(&mut bytes, text.len() as u64 + 1);
                    bytes.extend_from_slice(text.as_bytes());
                }
            }
        }
        for (key, value) in &user.traits {
            put_varint(&mut bytes, u64::from(keys.number(key)));
            put_text(&mut bytes, value);
        }
        Self(bytes.into_boxed_slice())
    }

    /// The user id's bytes (valid UTF-8: they came from a `String`).
    fn user_id(&self) -> &[u8] {
        let mut reader = Reader(&self.0);
        reader.bytes_with_len().unwrap_or_default()
    }

    #[allow(
        clippy::expect_used,
        reason = "records are only written by Record::encode"
    )]
    fn decode(&self, org_id: &str, app_id: &str, keys: &TraitKeys) -> StoredUser {
        self.try_decode(org_id, app_id, keys).expect(WELL_FORMED)
    }

    fn try_decode(&self, org_id: &str, app_id: &str, keys: &TraitKeys) -> Option<StoredUser> {
        let mut reader = Reader(&self.0);
        let user_id = reader.text()?;
        let first_seen = reader.i64()?;
        let last_seen = reader.i64()?;
        let name = reader.optional_text()?;
        let email = reader.optional_text()?;
        let mut traits = BTreeMap::new();
        while !reader.0.is_empty() {
            let key = keys.name(reader.varint()?)?;
            traits.insert(key.to_owned(), reader.text()?);
        }
        Some(StoredUser {
            org_id: org_id.to_owned(),
            app_id: app_id.to_owned(),
            user_id,
            name,
            email,
            traits,
            first_seen,
            last_seen,
        })
    }
}

impl Hash for Record {
    // The same as hashing the `[u8]` it borrows as, which `HashSet::get` does with the key.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.user_id().hash(state);
    }
}

impl PartialEq for Record {
    fn eq(&self, other: &Self) -> bool {
        self.user_id() == other.user_id()
    }
}

impl Eq for Record {}

impl Borrow<[u8]> for Record {
    fn borrow(&self) -> &[u8] {
        self.user_id()
    }
}

fn put_varint(bytes: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        bytes.push((value as u8) | 0x80);
        value >>= 7;
    }
    bytes.push(value as u8);
}

fn put_text(bytes: &mut Vec<u8>, text: &str) {
    put_varint(bytes, text.len() as u64);
    bytes.extend_from_slice(text.as_bytes());
}

/// Reads a record front to back; `None` only if it was not written by [`Record::encode`].
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        if len > self.0.len() {
            return None;
        }
        let (head, rest) = self.0.split_at(len);
        self.0 = rest;
        Some(head)
    }

    fn varint(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = self.0.split_first()?;
            self.0 = rest;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    fn i64(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn bytes_with_len(&mut self) -> Option<&'a [u8]> {
        let len = usize::try_from(self.varint()?).ok()?;
        self.take(len)
    }

    fn text(&mut self) -> Option<String> {
        String::from_utf8(self.bytes_with_len()?.to_vec()).ok()
    }

    fn optional_text(&mut self) -> Option<Option<String>> {
        match usize::try_from(self.varint()?).ok()? {
            0 => Some(None),
            len_plus_one => {
                let bytes = self.take(len_plus_one - 1)?;
                Some(Some(String::from_utf8(bytes.to_vec()).ok()?))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use super::*;

    /// The first version's storage and merge, kept as the reference the store must agree with.
    #[derive(Default)]
    struct Reference(HashMap<(String, String, String), StoredUser>);

    impl Reference {
        fn merge(&mut self, org: &str, app: &str, id: &str, update: IdentifyBody, seen_at: i64) {
            let user = self
                .0
                .entry((org.to_owned(), app.to_owned(), id.to_owned()))
                .or_insert_with(|| StoredUser {
                    org_id: org.to_owned(),
                    app_id: app.to_owned(),
                    user_id: id.to_owned(),
                    name: None,
                    email: None,
                    traits: BTreeMap::new(),
                    first_seen: seen_at,
                    last_seen: seen_at,
                });
            if let Some(name) = update.name {
                user.name = Some(name);
            }
            if let Some(email) = update.email {
                user.email = Some(email);
            }
            for (key, value) in update.traits {
                match value {
                    Some(value) => {
                        user.traits.insert(key, value);
                    }
                    None => {
                        user.traits.remove(&key);
                    }
                }
            }
            user.first_seen = user.first_seen.min(seen_at);
            user.last_seen = user.last_seen.max(seen_at);
        }

        fn users(&self) -> Vec<StoredUser> {
            let mut users: Vec<StoredUser> = self.0.values().cloned().collect();
            users.sort_by(|a, b| {
                (&a.org_id, &a.app_id, &a.user_id).cmp(&(&b.org_id, &b.app_id, &b.user_id))
            });
            users
        }
    }

    /// A fixed pseudo-random sequence (xorshift64), so every run does the same thing.
    struct Sequence(u64);

    impl Sequence {
        fn next(&mut self, below: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % below as u64) as usize
        }
    }

    /// A user in the shape of bench/gen_users.py: name, email and three traits.
    fn realistic(i: usize) -> IdentifyBody {
        const PLANS: [&str; 5] = ["free", "starter", "pro", "team", "enterprise"];
        const CAMPAIGNS: [&str; 6] = [
            "podcast",
            "newsletter",
            "search",
            "social",
            "referral",
            "conference",
        ];
        IdentifyBody {
            name: Some(format!("Grace Hopper {}", i % 10)),
            email: Some(format!("grace.hopper{i}@example.com")),
            timestamp: None,
            traits: vec![
                (
                    "campaign".to_owned(),
                    Some(CAMPAIGNS[(i * 11) % 6].to_owned()),
                ),
                ("plan".to_owned(), Some(PLANS[(i * 7) % 5].to_owned())),
                ("revenue".to_owned(), Some(((i * 37) % 500).to_string())),
            ],
        }
    }

    #[test]
    fn a_user_is_one_pointer_in_its_table() {
        assert_eq!(size_of::<Record>(), 16);
    }

    #[test]
    fn a_realistic_user_takes_under_128_bytes() {
        let mut store = UserStore::default();
        let count = 10_000;
        for i in 0..count {
            let id = format!("user-{i:07}");
            store.merge(
                "org".into(),
                "app".into(),
                id,
                realistic(i),
                1_767_225_600_000,
            );
        }
        assert_eq!(store.len(), count);
        // A record: id 12 bytes, two timestamps 16, name 14, email about 28, three traits
        // about 14 of text and 6 of key numbers and lengths, 4 bytes of other lengths: 95.
        let records: usize = store.apps["org"]["app"].iter().map(|r| r.0.len()).sum();
        assert!(
            records / count <= 100,
            "{} bytes per record",
            records / count
        );
        // With the table: 16,384 buckets of 17 bytes for 10,000 users, 28 bytes each. The
        // first version's bucket alone was 232 bytes, its trait map 536 more.
        let per_user = store.heap_bytes() / count;
        assert!(per_user <= 128, "{per_user} bytes per user");
        assert!(size_of::<((String, String, String), StoredUser)>() >= 200);
    }

    #[test]
    fn the_store_agrees_with_the_first_version_over_10_000_users() {
        const ORGS: [&str; 3] = ["org", "other org", "ørg/✓"];
        const APPS: [&str; 2] = ["app", "a/b"];
        const KEYS: [&str; 6] = ["plan", "revenue", "campaign", "", "ключ", "k\u{0}"];
        const VALUES: [&str; 6] = ["pro", "0", "x", "a longer value with spaces", "✓", "€"];
        let mut sequence = Sequence(0x9E37_79B9_7F4A_7C15);
        let mut store = UserStore::default();
        let mut reference = Reference::default();
        for step in 0..40_000 {
            let org = ORGS[sequence.next(ORGS.len())];
            let app = APPS[sequence.next(APPS.len())];
            // 2,000 ids in 6 apps: about 11,600 users, updated 3.5 times each on average.
            // Some ids blank-looking or non-ASCII.
            let id = match sequence.next(2_000) {
                0 => " ".to_owned(),
                1 => "ü/ñ?#".to_owned(),
                n => format!("u{n}"),
            };
            let mut update = if step % 3 == 0 {
                realistic(step)
            } else {
                IdentifyBody::default()
            };
            if sequence.next(4) == 0 {
                update.name = Some(String::new());
            }
            if sequence.next(5) == 0 {
                update.email = Some(format!("e{step}@x"));
            }
            for _ in 0..sequence.next(4) {
                let key = KEYS[sequence.next(KEYS.len())].to_owned();
                // One in four blank: remove the trait.
                let value = match sequence.next(4) {
                    0 => None,
                    _ => Some(VALUES[sequence.next(VALUES.len())].to_owned()),
                };
                update.traits.push((key, value));
            }
            // Out of order, and across the varint and i64 ranges.
            let seen_at = match sequence.next(10) {
                0 => 0,
                1 => i64::MAX,
                _ => 1_767_225_600_000 + sequence.next(1_000_000) as i64,
            };
            let copy = IdentifyBody {
                name: update.name.clone(),
                email: update.email.clone(),
                timestamp: update.timestamp,
                traits: update.traits.clone(),
            };
            reference.merge(org, app, &id, copy, seen_at);
            let returned = store.merge(org.into(), app.into(), id.clone(), update, seen_at);
            assert_eq!(
                Some(&returned),
                reference.0.get(&(org.into(), app.into(), id))
            );
        }
        let expected = reference.users();
        assert!(expected.len() > 10_000, "{}", expected.len());
        assert_eq!(store.len(), expected.len());
        assert_eq!(store.all(), expected);
        for user in &expected {
            assert_eq!(
                store
                    .get(&user.org_id, &user.app_id, &user.user_id)
                    .as_ref(),
                Some(user)
            );
        }
        assert_eq!(store.get("org", "app", "nobody"), None);
        assert_eq!(store.get("nobody", "app", "u2"), None);
        store.clear();
        assert_eq!(store.len(), 0);
        assert!(store.all().is_empty());
    }

    #[test]
    fn varints_round_trip() {
        for value in [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            let mut bytes = Vec::new();
            put_varint(&mut bytes, value);
            let mut reader = Reader(&bytes);
            assert_eq!(reader.varint(), Some(value));
            assert!(reader.0.is_empty());
        }
    }
}
