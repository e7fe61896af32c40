#include "direct_echo.hpp"

#include <relais/plugin.hpp>

namespace {

class DirectEcho : public EchoService {
public:
    std::string call(const std::string &input_json) override {
        auto input = relais::parse_object(input_json, RELAIS_INVALID_INPUT, "input");
        return relais::to_string(input);
    }
};

}  // namespace

std::unique_ptr<EchoService> make_direct_echo() { return std::make_unique<DirectEcho>(); }
