// Picking examples from the emulator's data: "an active individual", "a closed establishment".
#pragma once

#include "sirene_dataset.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace relais::test {

using Record = Poco::JSON::Object::Ptr;

inline std::string ul(const Record &e, const std::string &key) {
    const auto v = e->getObject("uniteLegale")->get(key);
    return v.isEmpty() ? "" : v.toString();
}
inline std::string now(const Record &e, const std::string &key) {
    const auto v = e->getArray("periodesEtablissement")->getObject(0)->get(key);
    return v.isEmpty() ? "" : v.toString();
}
inline bool head_office(const Record &e) { return e->getValue<bool>("etablissementSiege"); }
inline bool published(const Record &e) { return e->getValue<std::string>("statutDiffusionEtablissement") == "O"; }
inline bool synthetic(const std::string &siret) { return siret.rfind("356", 0) != 0 && siret != "39860733300059"; }

// The first `n` sirets satisfying `predicate` (at least one, or the test stops).
template <class P>
std::vector<std::string> examples(const sirene_emulator::Dataset &data, P predicate, std::size_t n = 1) {
    std::vector<std::string> out;
    for (const auto &s : data.sirets_where([&](const Record &e) { return predicate(e); })) {
        if (!synthetic(s)) continue;
        out.push_back(s);
        if (out.size() == n) break;
    }
    REQUIRE(out.size() == n);
    return out;
}

}  // namespace relais::test
