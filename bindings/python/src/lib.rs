//! `logrocket_identify._native`: the pyo3 face of the core. Conversion, error mapping and
//! runtime glue only; the Python package (`python/logrocket_identify`) builds the public API
//! on it.

mod bulk;
mod client;
mod convert;
mod delivery;
mod emulator;
mod errors;
mod runtime;

use pyo3::prelude::*;

#[pymodule]
mod _native {
    #[pymodule_export]
    use crate::bulk::BulkRun;
    #[pymodule_export]
    use crate::client::{NativeClient, Task, validate};
    #[pymodule_export]
    use crate::convert::PyUser;
    #[pymodule_export]
    use crate::delivery::{Counters, FlushSummary};
    #[pymodule_export]
    use crate::emulator::NativeEmulator;
    #[pymodule_export]
    use crate::runtime::_after_fork_in_child;

    use pyo3::prelude::*;

    #[pymodule_init]
    fn init(module: &Bound<'_, PyModule>) -> PyResult<()> {
        module.add("__version__", env!("CARGO_PKG_VERSION"))?;
        module.add(
            "DEFAULT_CLOSE_TIMEOUT",
            logrocket_identify::DEFAULT_CLOSE_TIMEOUT.as_secs_f64(),
        )?;
        module.add(
            "DEFAULT_CONNECT_TIMEOUT",
            logrocket_identify::DEFAULT_CONNECT_TIMEOUT.as_secs_f64(),
        )
    }
}
