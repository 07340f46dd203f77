//! Work arrays kept between searches and sheds: a search's node times and a shed's outline links
//! are as long as the graph or the grid, and filling a fresh one per request would cost what the
//! request itself costs. An array is handed back clean (every entry back at its empty value), and
//! the pool keeps a bounded number of arrays of bounded length, so what it holds is bounded however
//! many threads come and go.

/// A pool of at most `most` spare arrays, each at most `longest` entries.
pub struct Spare<T> {
    arrays: parking_lot::Mutex<Vec<Vec<T>>>,
    most: usize,
    longest: usize,
}

impl<T> Spare<T> {
    pub const fn new(most: usize, longest: usize) -> Self {
        Spare { arrays: parking_lot::const_mutex(Vec::new()), most, longest }
    }

    /// A spare array (clean, of any length), or an empty one.
    pub fn take(&self) -> Vec<T> {
        self.arrays.lock().pop().unwrap_or_default()
    }

    /// Keeps `array`, which must be clean again, when there is room for it.
    pub fn give_back(&self, array: Vec<T>) {
        if array.len() <= self.longest {
            let mut arrays = self.arrays.lock();
            if arrays.len() < self.most {
                arrays.push(array);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_at_most_so_many_arrays_of_at_most_so_many_entries() {
        let spare: Spare<u32> = Spare::new(2, 10);
        spare.give_back(vec![0; 11]);
        assert!(spare.take().is_empty(), "too long to keep");
        for _ in 0..3 {
            spare.give_back(vec![0; 10]);
        }
        assert_eq!((spare.take().len(), spare.take().len(), spare.take().len()), (10, 10, 0));
    }
}
