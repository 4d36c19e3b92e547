// Compiled in the arith layer's view of the headers (tests/CMakeLists.txt): including a header
// of a higher layer (model) must not compile, while the control build, which includes a header
// of a lower layer (exact), must.
#ifdef FPX_LAYERING_CONTROL
#include "fpx/exact/rational.hpp"
#else
#include "fpx/model/network.hpp"
#endif

int layering_probe() { return 0; }
