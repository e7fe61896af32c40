#include "mindee_wire.hpp"

#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>
#include <Poco/UUIDGenerator.h>

#include <sstream>

namespace relais::mindee_emulator {

Json object() { return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER); }

std::string stringify(const Json &o) {
    std::ostringstream out;
    o->stringify(out);
    return out.str();
}

std::string new_uuid() { return Poco::UUIDGenerator::defaultGenerator().createRandom().toString(); }

std::string iso_time(time_point t) {
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
    return Poco::DateTimeFormatter::format(Poco::Timestamp(micros), "%Y-%m-%dT%H:%M:%S.%F");
}

emulator::Response html_gateway_error(int status) {
    const std::string reason = status == 502 ? "Bad Gateway" : status == 503 ? "Service Temporarily Unavailable"
                                                                              : "Gateway Time-out";
    // The page an nginx reverse proxy writes when the service behind it fails: clients must
    // cope with a body that is not JSON.
    std::string page = "<html>\r\n<head><title>" + std::to_string(status) + " " + reason +
                       "</title></head>\r\n<body>\r\n<center><h1>" + std::to_string(status) + " " + reason +
                       "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
    emulator::Response r{status, {}, std::move(page)};
    r.header("Content-Type", "text/html");
    return r;
}

}  // namespace relais::mindee_emulator
