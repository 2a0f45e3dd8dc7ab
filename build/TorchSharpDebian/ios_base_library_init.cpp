// Stands in for std::ios_base_library_init(), the one GCC 13 libstdc++ symbol (GLIBCXX_3.4.32) that TorchSharp's
// libLibTorchSharp.so imports, on systems whose libstdc++ is older (Debian 12, Ubuntu 22.04: 3.4.30).
// GCC 13's <iostream> references the symbol only to pull in a libstdc++ that sets up the standard streams itself;
// an older libstdc++ sets them up when a std::ios_base::Init object is constructed, so this library constructs one
// when it is loaded (before libLibTorchSharp.so, which needs it) and keeps it for the life of the process.
// Built by build/TorchSharpDebian.targets with the system g++, only where the system libstdc++ lacks GLIBCXX_3.4.32.
#include <ios>

namespace std {
void ios_base_library_init() {
    static ios_base::Init init;
}
}

namespace {
struct InitOnLoad {
    InitOnLoad() { std::ios_base_library_init(); }
} init_on_load;
}
