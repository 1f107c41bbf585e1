//! Choosing where the model runs: `cpu`, `cuda` or `cuda:N`.

use candle_core::Device;

use crate::error::{Error, Result};

/// Parses a device name. CUDA needs a binary built with `--features cuda` and a visible GPU;
/// either missing is reported in words rather than as a driver error code.
pub fn parse(name: &str) -> Result<Device> {
    let name = name.trim().to_ascii_lowercase();
    if name == "cpu" {
        return Ok(Device::Cpu);
    }
    let ordinal = match name.strip_prefix("cuda") {
        Some("") => 0,
        Some(rest) => rest
            .strip_prefix(':')
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| invalid(&name))?,
        None => return Err(invalid(&name)),
    };
    if !cfg!(feature = "cuda") {
        return Err(Error::InvalidInput(
            "this footnote binary was built without CUDA support; rebuild with `cargo build --release --features cuda` (see scripts/cuda-toolchain.sh)".into(),
        ));
    }
    Device::new_cuda(ordinal).map_err(|e| {
        // candle appends a backtrace to its errors when RUST_BACKTRACE is set: keep one line.
        let reason = e.to_string();
        let reason = reason.lines().next().unwrap_or("unknown error").to_string();
        Error::InvalidInput(format!(
            "cannot use GPU cuda:{ordinal} (is a GPU present and its driver loaded?): {reason}"
        ))
    })
}

fn invalid(name: &str) -> Error {
    Error::InvalidInput(format!("unknown device `{name}`: use cpu, cuda or cuda:N"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_parses_and_nonsense_is_refused() {
        assert!(matches!(parse("cpu"), Ok(Device::Cpu)));
        assert!(parse("tpu").is_err());
        assert!(parse("cuda:x").is_err());
    }

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn cuda_without_the_feature_says_how_to_get_it() {
        let err = parse("cuda:0").unwrap_err().to_string();
        assert!(err.contains("--features cuda"), "{err}");
    }
}
