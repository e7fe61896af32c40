#include "config/host_schema.hpp"

#include "config/json_schema.hpp"

namespace relais::host::config {

const JsonSchema &host_schema() {
    static const JsonSchema schema = JsonSchema::parse(host_schema_text());
    return schema;
}

}  // namespace relais::host::config
