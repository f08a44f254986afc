//! The memory pool behind `--memory-limit`: DataFusion's fair division of the limit among the
//! operators that can spill, with the part idle operators leave free lent to the working ones.
//!
//! DataFusion 55 offers two bounded pools, and each fails chiso one way:
//! - `FairSpillPool` caps every operator that can spill at the limit divided by the number of
//!   such operators *registered*. A plan registers all of them before any row flows, and most sit
//!   idle while one works: under `--memory-limit 8G` the suite's distinct count (`08`, 291.8 M
//!   rows) needed 2.4 GB in all, but its working aggregate was allowed a small part of it; it
//!   spilled 5.4 GB in 28 spills and ran 5x as long as without a limit (apache/datafusion#22036).
//! - `GreedyMemoryPool` lets the working operator take the whole limit, and then memory that
//!   cannot spill finds nothing left: under `--memory-limit 2G` the suite's latest value per
//!   district (`02`, 291.8 M rows) failed when a sort's merge asked for its buffers.
//!
//! So, under one lock:
//! - an operator that can spill may always grow within its even part of what the unspillable
//!   memory leaves, as under `FairSpillPool`, as long as memory is free;
//! - beyond its part it may borrow free memory, but all such operators together leave a
//!   sixteenth of the limit (the headroom) to memory that cannot spill, and none holds more than
//!   half of the rest: a sort merging its spilled runs takes memory that cannot spill, and
//!   without the half an export sorting 2.2 M rows under 128 MB failed in 2–3 runs of 12 (the
//!   other partition's sort held everything), with it in none of 30. The price: an operator
//!   working alone (one partition) spills past half of the limit, where it need not;
//! - memory that cannot spill is first come, first served, within the limit.
//!
//! An operator refused more spills, as DataFusion's operators do under any pool. The sixteenth was
//! measured, before the half was added: an eighth made `08` under 2 GB spill more (107 s against
//! 45–64 s), a thirty-second or less did not help `02` (benches/README.md). The pool is wrapped in
//! DataFusion's `TrackConsumersPool`, so a refused reservation names the largest holders.
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, MutexGuard};

use datafusion::common::{human_readable_size, resources_datafusion_err};
use datafusion::error::Result;
use datafusion::execution::memory_pool::{
    MemoryConsumer, MemoryLimit, MemoryPool, MemoryReservation, TrackConsumersPool,
};

/// The pool of `limit` bytes that the sorts, joins and aggregations of a context reserve from.
pub fn memory_pool(limit: usize) -> Arc<dyn MemoryPool> {
    let top = NonZeroUsize::new(5).expect("5 is not zero");
    Arc::new(TrackConsumersPool::new(HeadroomPool::new(limit), top))
}

/// A pool of `limit` bytes shared as the module describes: the operators that can spill borrow
/// beyond their even part only while they leave [`headroom`](HeadroomPool::headroom) bytes free.
#[derive(Debug)]
pub struct HeadroomPool {
    limit: usize,
    headroom: usize,
    used: Mutex<Used>,
}

#[derive(Debug, Default)]
struct Used {
    spillable: usize,
    unspillable: usize,
    /// The operators registered that can spill.
    spillers: usize,
}

impl HeadroomPool {
    /// A pool of `limit` bytes.
    pub fn new(limit: usize) -> Self {
        let headroom = limit / 16;
        Self { limit, headroom, used: Mutex::new(Used::default()) }
    }

    /// The bytes the operators that can spill leave free when they borrow.
    pub fn headroom(&self) -> usize {
        self.headroom
    }

    fn used(&self) -> MutexGuard<'_, Used> {
        // A panic while the lock was held left two counters behind; they stay usable.
        self.used.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Used {
    fn of(&mut self, reservation: &MemoryReservation) -> &mut usize {
        if reservation.consumer().can_spill() {
            &mut self.spillable
        } else {
            &mut self.unspillable
        }
    }
}

impl MemoryPool for HeadroomPool {
    fn name(&self) -> &str {
        "headroom"
    }

    fn register(&self, consumer: &MemoryConsumer) {
        if consumer.can_spill() {
            self.used().spillers += 1;
        }
    }

    fn unregister(&self, consumer: &MemoryConsumer) {
        if consumer.can_spill() {
            let mut used = self.used();
            used.spillers = used.spillers.saturating_sub(1);
        }
    }

    fn grow(&self, reservation: &MemoryReservation, additional: usize) {
        *self.used().of(reservation) += additional;
    }

    fn shrink(&self, reservation: &MemoryReservation, shrink: usize) {
        let mut used = self.used();
        let held = used.of(reservation);
        *held = held.saturating_sub(shrink);
    }

    fn try_grow(&self, reservation: &MemoryReservation, additional: usize) -> Result<()> {
        let mut used = self.used();
        let free = self.limit.saturating_sub(used.spillable + used.unspillable);
        let available = if reservation.consumer().can_spill() {
            let share = self.limit.saturating_sub(used.unspillable) / used.spillers.max(1);
            if reservation.size() + additional <= share {
                // Within its even part, as FairSpillPool would grant, it may use any free memory.
                free
            } else {
                let kept = self.headroom.max(used.unspillable);
                let borrowable = self.limit.saturating_sub(kept);
                // No one operator past half of it, so the other partition's sort still finds
                // room to merge its runs.
                let own = (borrowable / 2).saturating_sub(reservation.size());
                free.min(borrowable.saturating_sub(used.spillable)).min(own)
            }
        } else {
            free
        };
        if additional > available {
            // The message shows the pool, which takes the lock again.
            drop(used);
            return Err(resources_datafusion_err!(
                "Failed to allocate additional {} for {} with {} already allocated for this \
                 reservation - {} remain available to it in the memory pool: {self}",
                human_readable_size(additional),
                reservation.consumer().name(),
                human_readable_size(reservation.size()),
                human_readable_size(available)
            ));
        }
        *used.of(reservation) += additional;
        Ok(())
    }

    fn reserved(&self) -> usize {
        let used = self.used();
        used.spillable + used.unspillable
    }

    fn memory_limit(&self) -> MemoryLimit {
        MemoryLimit::Finite(self.limit)
    }
}

impl std::fmt::Display for HeadroomPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}(used: {}, pool_size: {}, kept for memory that cannot spill: {})",
            self.name(),
            human_readable_size(self.reserved()),
            human_readable_size(self.limit),
            human_readable_size(self.headroom)
        )
    }
}

/// Whether an `EXPLAIN ANALYZE` text shows an operator that spilled (tests of the pools).
#[cfg(test)]
pub(crate) fn spilled(plan: &str) -> bool {
    plan.split("spill_count=").skip(1).any(|rest| !rest.starts_with('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spiller(pool: &Arc<dyn MemoryPool>, name: &str) -> MemoryReservation {
        MemoryConsumer::new(name).with_can_spill(true).register(pool)
    }

    #[test]
    fn a_working_operator_borrows_what_idle_ones_leave_up_to_half() {
        let pool: Arc<dyn MemoryPool> = Arc::new(HeadroomPool::new(1600 << 20));
        let working = spiller(&pool, "working");
        let _idle: Vec<_> = (0..15).map(|i| spiller(&pool, &format!("idle {i}"))).collect();
        // Its even part is 100 MiB; it may borrow up to half of 1600 - 100 (the headroom).
        working.try_grow(750 << 20).unwrap();
        let message = working.try_grow(1).unwrap_err().to_string();
        assert!(message.contains("for working with 750.0 MB already allocated"), "{message}");
        // A second one may take the other half, and then memory that cannot spill still finds
        // the headroom, and no more than the limit.
        let other = spiller(&pool, "other");
        other.try_grow(750 << 20).unwrap();
        let fixed = MemoryConsumer::new("fixed").register(&pool);
        fixed.try_grow(100 << 20).unwrap();
        assert!(fixed.try_grow(1).is_err());
    }

    #[test]
    fn an_operator_within_its_even_part_may_use_the_headroom() {
        let pool: Arc<dyn MemoryPool> = Arc::new(HeadroomPool::new(1600 << 20));
        let (big, small) = (spiller(&pool, "big"), spiller(&pool, "small"));
        let fixed = MemoryConsumer::new("fixed").register(&pool);
        fixed.try_grow(100 << 20).unwrap();
        // big takes its even part, (1600 - 100) / 2; then what cannot spill grows to 750 MiB.
        big.try_grow(750 << 20).unwrap();
        fixed.try_grow(650 << 20).unwrap();
        // small's even part is now (1600 - 750) / 2 = 425 MiB: the 100 MiB still free are its to
        // take, although the memory that cannot spill holds more than the headroom.
        small.try_grow(100 << 20).unwrap();
        assert_eq!(pool.reserved(), 1600 << 20);
        assert!(small.try_grow(1).is_err(), "the limit is never passed");
        drop(big);
        small.try_grow(183 << 20).unwrap();
    }

    #[test]
    fn memory_that_cannot_spill_shrinks_what_the_others_may_take() {
        let pool: Arc<dyn MemoryPool> = Arc::new(HeadroomPool::new(1000 << 20));
        let fixed = MemoryConsumer::new("fixed").register(&pool);
        let (a, b) = (spiller(&pool, "a"), spiller(&pool, "b"));
        fixed.try_grow(600 << 20).unwrap();
        // Even parts of (1000 - 600) / 2 = 200 MiB; a may not borrow past half of those 400.
        assert!(a.try_grow(201 << 20).is_err());
        a.try_grow(200 << 20).unwrap();
        b.try_grow(200 << 20).unwrap();
        assert!(b.try_grow(1).is_err());
        drop((fixed, a, b));
        assert_eq!(pool.reserved(), 0);
    }
}
