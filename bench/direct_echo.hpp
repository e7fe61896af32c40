// The baseline of the ABI round-trip benchmark: the same echo work as the diagnostics
// plugin's action (parse the input JSON into an object, write it back out), behind a plain
// C++ virtual call in this executable.
#pragma once

#include <memory>
#include <string>

class EchoService {
public:
    virtual ~EchoService() = default;
    virtual std::string call(const std::string &input_json) = 0;
};

// Defined in another translation unit so the compiler cannot see through the virtual call.
std::unique_ptr<EchoService> make_direct_echo();
