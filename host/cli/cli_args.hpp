// Parsing a subcommand's own arguments with Boost.Program_options, with --help and usage
// errors handled the same way everywhere.
#pragma once

#include "cli/cli.hpp"

#include <boost/program_options.hpp>

#include <optional>

namespace relais::cli {

struct Subcommand {
    std::string usage;  // "relais plugins show NAME [--json]"
    boost::program_options::options_description options{"options"};
    boost::program_options::positional_options_description positional{};
};

// Returns the parsed values, or nullopt after printing help when --help was given.
// Throws UsageError (message followed by the usage) for bad arguments.
std::optional<boost::program_options::variables_map> parse_args(Subcommand &sub, const std::vector<std::string> &args);

}  // namespace relais::cli
