//! Storage words read on demand and written back checked against what was
//! read.
//!
//! A packed record spread over consecutive raw slots (`base + i`) is often
//! only partly needed: a cold read costs 2,100 gas, so calls load the words
//! they use. The hazard is the write back: a record unpacked from partly
//! loaded words holds zeros where nothing was read, and saving such a word
//! silently erases what storage held. [`Words`] makes that impossible by
//! construction: it remembers which words were loaded and what they held,
//! writes back only loaded words that changed, and **traps** (the call
//! reverts) when a word that was never loaded would change — a save can only
//! ever write what a load read. [`Cursor`] does the same for a single word
//! addressed by a moving key (a tally or bitmap word shared by a run of
//! tasks).

use alloy_primitives::U256;
use stylus_sdk::stylus_core::Host;

/// Stops the call: a save would write a word that was not loaded. Never
/// reached by correct code; on the chain it is a trap (the transaction
/// reverts and changes nothing).
#[cold]
fn unloaded_write(index: usize) -> ! {
    #[cfg(target_arch = "wasm32")]
    {
        let _ = index;
        core::arch::wasm32::unreachable()
    }
    #[cfg(not(target_arch = "wasm32"))]
    panic!("word {index} changed but was never loaded")
}

/// Which of `new` must be written given the words `loaded` (bit i: word i)
/// and what they held (`old`, zero where not loaded): the loaded words that
/// changed. `Err(i)` if word `i` changed without having been loaded.
pub fn writes<const N: usize>(loaded: u32, old: &[U256; N], new: &[U256; N]) -> Result<u32, usize> {
    let mut out = 0u32;
    for i in 0..N {
        if new[i] == old[i] {
            continue;
        }
        if loaded & (1 << i) == 0 {
            return Err(i);
        }
        out |= 1 << i;
    }
    Ok(out)
}

/// `N` words at raw slots `base..base + N`, of which those in a mask were
/// loaded. See the module docs.
#[derive(Debug)]
pub struct Words<const N: usize> {
    base: U256,
    loaded: u32,
    old: [U256; N],
}

impl<const N: usize> Words<N> {
    /// Loads the words selected by `mask` (bit i: word i); the others read
    /// as zero.
    pub fn load<H: Host + ?Sized>(vm: &H, base: U256, mask: u32) -> (Self, [U256; N]) {
        let mut w = Self {
            base,
            loaded: 0,
            old: [U256::ZERO; N],
        };
        let mut words = [U256::ZERO; N];
        w.load_more(vm, &mut words, mask);
        (w, words)
    }

    /// Loads the words of `mask` not loaded yet into `words` (which must be
    /// unchanged in those positions).
    pub fn load_more<H: Host + ?Sized>(&mut self, vm: &H, words: &mut [U256; N], mask: u32) {
        for (i, x) in words.iter_mut().enumerate() {
            let bit = 1 << i;
            if mask & bit != 0 && self.loaded & bit == 0 {
                if *x != U256::ZERO {
                    unloaded_write(i);
                }
                let v = crate::sload(vm, self.base.wrapping_add(U256::from(i)));
                *x = v;
                self.old[i] = v;
                self.loaded |= bit;
            }
        }
    }

    /// The loaded words (bit i: word i).
    pub fn loaded(&self) -> u32 {
        self.loaded
    }

    /// Writes back every loaded word of `words` that changed; traps if a
    /// word that was not loaded changed.
    pub fn save<H: Host + ?Sized>(&mut self, vm: &H, words: &[U256; N]) {
        let dirty = match writes(self.loaded, &self.old, words) {
            Ok(d) => d,
            Err(i) => unloaded_write(i),
        };
        for (i, w) in words.iter().enumerate() {
            if dirty & (1 << i) != 0 {
                crate::sstore(vm, self.base.wrapping_add(U256::from(i)), *w);
                self.old[i] = *w;
            }
        }
    }
}

/// One storage word addressed by a key that moves along a run (for example
/// the tally word shared by 16 tasks): a [`Cursor::seek`] to a new key
/// writes the previous word back if it changed, then loads the next. Only a
/// loaded word is ever written.
#[derive(Debug, Default)]
#[must_use = "a cursor must be finished to write its last word back"]
pub struct Cursor {
    key: Option<U256>,
    slot: U256,
    old: U256,
    /// The current word.
    pub value: U256,
}

impl Cursor {
    /// A cursor on no word.
    pub fn new() -> Self {
        Self::default()
    }

    /// Points at the word of `key` (at `slot(key)`, computed only when the
    /// key changes) and returns it.
    pub fn seek<H: Host + ?Sized>(
        &mut self,
        vm: &H,
        key: U256,
        slot: impl FnOnce(U256) -> U256,
    ) -> &mut U256 {
        if self.key != Some(key) {
            self.flush(vm);
            self.slot = slot(key);
            self.old = crate::sload(vm, self.slot);
            self.value = self.old;
            self.key = Some(key);
        }
        &mut self.value
    }

    fn flush<H: Host + ?Sized>(&mut self, vm: &H) {
        if self.key.is_some() && self.value != self.old {
            crate::sstore(vm, self.slot, self.value);
            self.old = self.value;
        } else if self.key.is_none() && self.value != U256::ZERO {
            unloaded_write(0);
        }
    }

    /// Writes the current word back if it changed.
    pub fn finish<H: Host + ?Sized>(mut self, vm: &H) {
        self.flush(vm);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loaded_words_that_changed_are_written() {
        let old = [U256::from(1), U256::ZERO, U256::from(3)];
        let same = old;
        assert_eq!(writes(0b101, &old, &same), Ok(0));
        let mut new = old;
        new[2] = U256::from(4);
        assert_eq!(writes(0b101, &old, &new), Ok(0b100));
        new[1] = U256::from(9);
        assert_eq!(
            writes(0b101, &old, &new),
            Err(1),
            "word 1 was never loaded: saving it would have written over storage"
        );
        assert_eq!(writes(0b111, &old, &new), Ok(0b110));
    }
}
