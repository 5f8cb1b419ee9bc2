//! A map whose entries each expire at their own time. Pruning pops the soonest expiry from a
//! heap, so the work is O(log n) per entry that leaves, never a sweep of the whole map under a
//! lock that every request reads.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

/// Entries keyed by string, each with the Unix millisecond at which it is forgotten.
#[derive(Debug)]
pub(crate) struct ExpiringMap<V> {
    entries: HashMap<String, (V, u64)>,
    /// Every `(forget_at, key)` ever inserted; an item whose entry was since re-inserted with
    /// another time is skipped when it surfaces.
    order: BinaryHeap<Reverse<(u64, String)>>,
}

impl<V> Default for ExpiringMap<V> {
    fn default() -> Self {
        Self {
            entries: HashMap::new(),
            order: BinaryHeap::new(),
        }
    }
}

impl<V> ExpiringMap<V> {
    /// The value of `key` while it is not forgotten at `now_ms`.
    pub(crate) fn get(&self, key: &str, now_ms: u64) -> Option<&V> {
        self.entries
            .get(key)
            .filter(|(_, forget_at)| *forget_at > now_ms)
            .map(|(value, _)| value)
    }

    /// Sets `key` to `value` until `forget_at`, replacing what was there.
    pub(crate) fn insert(&mut self, key: String, value: V, forget_at: u64) {
        self.order.push(Reverse((forget_at, key.clone())));
        self.entries.insert(key, (value, forget_at));
    }

    /// Sets `key` to the result of `merge(old, value)` (or `value`) until the later of the two
    /// times. Returns whether anything changed.
    pub(crate) fn merge(
        &mut self,
        key: &str,
        value: V,
        forget_at: u64,
        merge: impl FnOnce(&V, V) -> V,
    ) -> bool
    where
        V: PartialEq + Clone,
    {
        let (value, forget_at) = match self.entries.get(key) {
            Some((old, old_forget_at)) => {
                let merged = merge(old, value);
                let until = forget_at.max(*old_forget_at);
                if merged == *old && until == *old_forget_at {
                    return false;
                }
                (merged, until)
            }
            None => (value, forget_at),
        };
        self.insert(key.to_owned(), value, forget_at);
        true
    }

    /// Removes `key`.
    pub(crate) fn remove(&mut self, key: &str) {
        self.entries.remove(key);
    }

    /// Forgets every entry whose time has come by `now_ms`.
    pub(crate) fn prune(&mut self, now_ms: u64) {
        while let Some(Reverse((forget_at, _))) = self.order.peek() {
            if *forget_at > now_ms {
                break;
            }
            if let Some(Reverse((forget_at, key))) = self.order.pop() {
                self.remove_if_due(&key, forget_at);
            }
        }
    }

    /// Forgets the entry that would be forgotten first (for a map at its cap).
    pub(crate) fn pop_soonest(&mut self) {
        while let Some(Reverse((forget_at, key))) = self.order.pop() {
            if self.remove_if_due(&key, forget_at) {
                return;
            }
        }
    }

    /// Removes `key` if `forget_at` is still its time (a heap item of an entry since re-inserted
    /// is stale). Whether it removed it.
    fn remove_if_due(&mut self, key: &str, forget_at: u64) -> bool {
        let due = self
            .entries
            .get(key)
            .is_some_and(|(_, at)| *at == forget_at);
        if due {
            self.entries.remove(key);
        }
        due
    }

    /// How many entries are held (some may be past their time until the next prune).
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no entry is held.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every entry with its value and time.
    #[cfg(feature = "redis")]
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &V, u64)> {
        self.entries
            .iter()
            .map(|(key, (value, forget_at))| (key.as_str(), value, *forget_at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_leave_at_their_own_time() {
        let mut map = ExpiringMap::default();
        map.insert("late".into(), 1, 300);
        map.insert("early".into(), 2, 100);
        assert_eq!(map.get("early", 99), Some(&2));
        assert_eq!(map.get("early", 100), None, "forgotten at its time");
        map.prune(100);
        assert_eq!(map.len(), 1);
        assert_eq!(map.get("late", 299), Some(&1));
    }

    #[test]
    fn a_reinserted_entry_keeps_its_new_time() {
        let mut map = ExpiringMap::default();
        map.insert("k".into(), 1, 100);
        map.insert("k".into(), 2, 500);
        map.prune(200);
        assert_eq!(
            map.get("k", 200),
            Some(&2),
            "the stale heap item is skipped"
        );
        map.pop_soonest();
        assert!(map.is_empty());
    }

    #[test]
    fn merge_keeps_the_larger_mark_and_the_later_time() {
        let mut map = ExpiringMap::default();
        assert!(map.merge("u", 10_u64, 100, |a, b| (*a).max(b)));
        assert!(!map.merge("u", 5, 50, |a, b| (*a).max(b)), "nothing new");
        assert!(map.merge("u", 20, 60, |a, b| (*a).max(b)));
        assert_eq!(map.get("u", 99), Some(&20));
    }
}
