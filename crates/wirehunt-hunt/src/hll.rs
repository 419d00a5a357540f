//! Counting distinct addresses in bounded memory: exact up to a few dozen,
//! then a HyperLogLog sketch (Flajolet et al. 2007) of 256 registers
//! (about 6.5% standard error).

use std::hash::{BuildHasher, Hash};
use std::net::IpAddr;

const EXACT: usize = 32;
const REGISTERS: usize = 256;

#[derive(Debug, Clone, Default)]
pub struct Distinct {
    exact: Vec<(IpAddr, u64)>,
    sketch: Option<Box<[u8; REGISTERS]>>,
}

fn hash(a: &IpAddr) -> u64 {
    // Fixed seed: counts must not change from run to run.
    let s = foldhash::quality::FixedState::with_seed(0x5eed_ca7c_4e11_0001);
    let mut h = s.build_hasher();
    a.hash(&mut h);
    std::hash::Hasher::finish(&h)
}

impl Distinct {
    pub fn add(&mut self, a: IpAddr) {
        if let Some(sk) = &mut self.sketch {
            put(sk, a);
            return;
        }
        if let Some(e) = self.exact.iter_mut().find(|(x, _)| *x == a) {
            e.1 += 1;
            return;
        }
        if self.exact.len() < EXACT {
            self.exact.push((a, 1));
            return;
        }
        let mut sk = Box::new([0u8; REGISTERS]);
        for (x, _) in &self.exact {
            put(&mut sk, *x);
        }
        put(&mut sk, a);
        self.sketch = Some(sk);
    }

    /// Distinct addresses added (estimated past the exact range).
    pub fn count(&self) -> u64 {
        let Some(sk) = &self.sketch else {
            return self.exact.len() as u64;
        };
        let m = REGISTERS as f64;
        let alpha = 0.7213 / (1.0 + 1.079 / m);
        let sum: f64 = sk.iter().map(|&r| 2f64.powi(-i32::from(r))).sum();
        let est = alpha * m * m / sum;
        let zeros = sk.iter().filter(|&&r| r == 0).count();
        if est <= 2.5 * m && zeros > 0 {
            (m * (m / zeros as f64).ln()).round() as u64
        } else {
            est.round() as u64
        }
    }

    /// The addresses with their packet counts while still exact.
    pub fn exact(&self) -> Option<&[(IpAddr, u64)]> {
        self.sketch.is_none().then_some(&self.exact[..])
    }
}

fn put(sk: &mut [u8; REGISTERS], a: IpAddr) {
    let h = hash(&a);
    let idx = (h >> 56) as usize;
    let rest = (h << 8) | (1 << 7);
    let rank = rest.leading_zeros() as u8 + 1;
    if sk[idx] < rank {
        sk[idx] = rank;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn exact_then_estimated() {
        let mut d = Distinct::default();
        for i in 0..10u32 {
            d.add(IpAddr::V4(Ipv4Addr::from(i)));
            d.add(IpAddr::V4(Ipv4Addr::from(i)));
        }
        assert_eq!(d.count(), 10);
        assert_eq!(d.exact().unwrap()[0].1, 2);
        for i in 0..20_000u32 {
            d.add(IpAddr::V4(Ipv4Addr::from(i.wrapping_mul(2_654_435_761))));
        }
        let c = d.count() as f64;
        assert!((c - 20_000.0).abs() / 20_000.0 < 0.2, "{c}");
    }
}
