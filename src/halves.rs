//! Parts of one question worked on at once, on two cores: the two halves of a walk shed, the layers
//! of a tile.
//!
//! A bulk analysis (every catchment of a kind) already keeps every core busy through rayon's global
//! pool; a half of it goes to that pool, whose work stealing balances it. One interactive question
//! (a walk from a clicked point, a tile) runs on a thread of its own: it keeps one half and hands the
//! other to a small pool of its own, so that it never waits behind a bulk analysis's queue.

use std::sync::LazyLock;

/// Threads that take the handed-over halves of interactive questions, one per core.
static HALVES: LazyLock<rayon::ThreadPool> = LazyLock::new(|| {
    rayon::ThreadPoolBuilder::new()
        .thread_name(|k| format!("sasaeai-halves-{k}"))
        .build()
        .expect("a thread pool starts")
});

/// Runs `a` and `b` at once and returns both results.
pub fn join<A, B, RA, RB>(a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send,
    B: FnOnce() -> RB + Send,
    RA: Send,
    RB: Send,
{
    if rayon::current_thread_index().is_some() {
        return rayon::join(a, b);
    }
    let mut from_b = None;
    let from_a = HALVES.in_place_scope(|scope| {
        scope.spawn(|_| from_b = Some(b()));
        a()
    });
    (from_a, from_b.expect("a scope ends when what it spawned has run"))
}

/// `f` of each of `items`, in their order, worked out on two cores (halving the list until one
/// item is left; the halves are balanced by work stealing).
pub fn map<'a, T: Sync, R: Send>(items: &'a [T], f: &(impl Fn(&'a T) -> R + Sync)) -> Vec<R> {
    if items.len() < 2 {
        return items.iter().map(f).collect();
    }
    let (first, second) = items.split_at(items.len() / 2);
    let (mut out, rest) = join(|| map(first, f), || map(second, f));
    out.extend(rest);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_halves_run_from_a_plain_thread_and_from_a_pool_thread() {
        assert_eq!(super::join(|| 1, || "b"), (1, "b"));
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        assert_eq!(pool.install(|| super::join(|| 2, || 3)), (2, 3));
    }

    #[test]
    fn a_map_keeps_the_order_of_its_items() {
        let items: Vec<u32> = (0..37).collect();
        assert_eq!(super::map(&items, &|n| n * 2), items.iter().map(|n| n * 2).collect::<Vec<_>>());
        assert!(super::map(&[] as &[u32], &|n| *n).is_empty());
    }
}
