// Connector settings changed at run time through the API, kept in the data directory so that
// they survive a restart: one file per connector, <data_dir>/connectors/<name>.json.
//
// Precedence: a persisted file replaces the configuration file's section for that connector
// entirely: nothing is merged key by key. The API saves the complete effective settings, so a
// merge could only resurrect keys the operator removed through the API. To go back to the
// configuration file's section, delete the persisted file (see effective_sections()).
//
// A setting whose value came from a ${env:...} or ${file:...} reference and was not changed is
// saved as that reference (ConnectorManager::reconfigure), and references are resolved again at
// each start; values typed in through the API are saved as they are. So the files may hold
// secrets: they are written with mode 0600, and the connectors directory with mode 0700.
#pragma once

#include <Poco/JSON/Object.h>

#include <filesystem>
#include <map>
#include <string>

namespace relais::host {

class SettingsStore {
public:
    // Nothing is created until the first save().
    explicit SettingsStore(std::filesystem::path data_dir);

    // Writes <data_dir>/connectors/<name>.json atomically: a reader (or a crash) sees the old
    // file or the new one, never a mix. Creates the directories it needs. Throws
    // std::invalid_argument for a bad name, std::system_error when the file cannot be written.
    void save(const std::string &name, const Poco::JSON::Object::Ptr &settings) const;

    // The persisted settings of a connector, or null when there are none. Throws
    // std::invalid_argument for a bad name, std::runtime_error naming the file when it exists
    // but cannot be read or is not a JSON object.
    Poco::JSON::Object::Ptr load(const std::string &name) const;

    // Every connector's persisted settings, by name. Files whose name is not <valid name>.json
    // (a temporary file left by a crash, an editor's backup) are ignored. Throws as load().
    std::map<std::string, Poco::JSON::Object::Ptr> load_all() const;

    // <data_dir>/connectors
    const std::filesystem::path &directory() const { return directory_; }

    // Connector names are plugin names: [a-z][a-z0-9_]{0,31}. Anything else, "../x" included,
    // is refused before it becomes part of a path.
    static bool valid_name(const std::string &name);

private:
    std::filesystem::path directory_;
};

// The sections the connectors run with: the configuration file's, each replaced entirely by the
// persisted settings of the same connector when there are some. Persisted settings of a
// connector the file does not mention are included too.
std::map<std::string, Poco::JSON::Object::Ptr> effective_sections(
    const std::map<std::string, Poco::JSON::Object::Ptr> &from_config, const SettingsStore &store);

}  // namespace relais::host
