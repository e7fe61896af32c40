// json_schema.hpp: a small JSON Schema validator for the subset Relais plugins use to describe
// their settings and action inputs (see relais/plugin.h).
//
// Supported keywords (draft 2020-12 meaning):
//   type (one name or an array of: object, array, string, integer, number, boolean, null;
//         "integer" is any number without a fractional part, so 3.0 is an integer),
//   properties, required, additionalProperties (boolean or schema),
//   items (one schema for every item), minItems, maxItems, uniqueItems,
//   enum, const, pattern (ECMAScript, unanchored search), minLength, maxLength (in code points),
//   minimum, maximum, exclusiveMinimum, exclusiveMaximum (numbers),
//   format: "uri", "email", "date-time" (other format names are annotations),
//   allOf, anyOf, oneOf, not, if / then / else.
// Annotations: title, description, default, examples, $schema, $id, $comment, readOnly,
// writeOnly, deprecated, the Relais extension "secret": true, and any "x-..." keyword (hints
// for a user interface generated from the schema, such as "x-widget").
// Subschemas may be `true` / `false`. Any other keyword is refused when the schema is parsed
// (a "patternProperties" or "multipleOf" silently ignored would accept what the plugin's
// author meant to refuse); "$ref" too.
//
// A parsed JsonSchema is immutable: validate(), with_defaults() and secret_paths() may be
// called from many threads at once.
#pragma once

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>

#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace relais::host {

// One reason an instance does not match its schema.
struct SchemaError {
    std::string path;     // JSON Pointer of the offending value ("/retry_attempts"), "" for the root
    std::string expected; // what the schema asks for: "integer >= 1"
    std::string found;    // the value, briefly: "0", "string \"abc\"", "missing"; never a secret

    // "/retry_attempts: expected integer >= 1, found 0" ("(root): ..." for the root).
    std::string message() const;

    bool operator==(const SchemaError &) const = default;
};

class JsonSchema {
public:
    // Parses a schema and checks that it is well formed for the supported subset. Throws
    // std::invalid_argument naming the JSON Pointer inside the schema of what is wrong: not
    // JSON, root not an object, "$ref" or an unsupported keyword anywhere, an unknown type
    // name, a supported keyword of
    // the wrong shape (e.g. "required" not an array of strings, "pattern" not a valid
    // ECMAScript regex, "minimum" not a number), or a "default" its own subschema rejects.
    static JsonSchema parse(const std::string &schema_json);

    // Every error of `instance` (not only the first), in document order. Empty when valid.
    // Once a value has the wrong type, the other keywords of that subschema are not checked.
    std::vector<SchemaError> validate(const Poco::Dynamic::Var &instance) const;

    // A deep copy of `instance` (an empty object when null) in which each absent property
    // with a "default" is set to a copy of it, recursively into nested objects that are present
    // or were just defaulted. Present values, even null, are kept. Defaults are taken from
    // "properties" only, not from allOf/anyOf/oneOf/then/else branches.
    Poco::JSON::Object::Ptr with_defaults(const Poco::JSON::Object::Ptr &instance) const;

    // JSON Pointers of the properties declared "secret": true, in schema order, following
    // "properties" (also inside allOf/anyOf/oneOf/then/else). The children of a secret object
    // are covered by its pointer and not listed. Secrets under "items" or
    // "additionalProperties" have no fixed pointer and are not listed (validate() still never
    // renders them).
    std::vector<std::string> secret_paths() const;

    // The largest "maxLength" of the subschemas an instance must match (properties,
    // additionalProperties, items, allOf/anyOf/oneOf, then/else; not under "not" or "if", which
    // bound nothing); nullopt when none declares one. A plugin declares its largest input this
    // way (a base64 file field), and the host sizes its API body limit from it.
    std::optional<std::size_t> largest_max_length() const;

    // The parsed schema (keys in document order). Shared: do not modify it.
    const Poco::JSON::Object::Ptr &root() const { return root_; }

private:
    using Patterns = std::map<std::string, std::regex>;

    JsonSchema(Poco::JSON::Object::Ptr root, std::shared_ptr<const Patterns> patterns);

    Poco::JSON::Object::Ptr root_;
    // Every "pattern" of the schema compiled once, keyed by its source text.
    std::shared_ptr<const Patterns> patterns_;
};

} // namespace relais::host
