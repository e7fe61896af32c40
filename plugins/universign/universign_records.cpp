#include "universign_records.hpp"

#include <relais/support/bytes.hpp>
#include <relais/support/json.hpp>

#include <Poco/JSON/Array.h>

namespace relais::universign {

namespace {

using support::string_at;

constexpr std::size_t kChunkBytes = 700u << 10;  // 933 KiB of base64, under the 1 MiB a value may hold
constexpr int kUpdateAttempts = 8;

std::string record_key(const std::string &custom_id) { return "tx/" + custom_id; }
std::string open_key(const std::string &tx) { return "open/" + tx; }
std::string id_key(const std::string &tx) { return "id/" + tx; }
std::string doc_key(const std::string &tx, std::size_t index) { return "doc/" + tx + "/" + std::to_string(index); }

}  // namespace

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Json Record::to_json() const {
    Json o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("custom_id", custom_id);
    o->set("api", api);
    o->set("phase", phase);
    o->set("transaction_id", transaction_id);
    if (!draft_id.empty()) o->set("draft_id", draft_id);
    o->set("owner_call", owner_call);
    o->set("phase_at_ms", phase_at_ms);
    Poco::JSON::Array::Ptr calls = new Poco::JSON::Array;
    for (const auto &c : call_ids) calls->add(c);
    o->set("call_ids", calls);
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto &s : signers) {
        Json j = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        j->set("email", s.email);
        j->set("first_name", s.first_name);
        j->set("last_name", s.last_name);
        j->set("role", s.role);
        list->add(j);
    }
    o->set("signers", list);
    o->set("state", state);
    o->set("universign_state", universign_state);
    o->set("created_at_ms", created_at_ms);
    Poco::JSON::Array::Ptr k = new Poco::JSON::Array;
    for (bool b : kept) k->add(b);
    o->set("kept", k);
    o->set("document_count", static_cast<uint64_t>(document_count));
    return o;
}

Record Record::from_json(const Json &o) {
    Record r;
    r.custom_id = string_at(o, "custom_id").value_or("");
    r.api = string_at(o, "api").value_or("");
    r.phase = string_at(o, "phase").value_or("");
    r.transaction_id = string_at(o, "transaction_id").value_or("");
    r.draft_id = string_at(o, "draft_id").value_or("");
    r.owner_call = string_at(o, "owner_call").value_or("");
    r.phase_at_ms = support::integer_at(o, "phase_at_ms").value_or(0);
    if (const auto calls = support::array_at(o, "call_ids"))
        for (std::size_t i = 0; i < calls->size(); ++i) r.call_ids.push_back(calls->getElement<std::string>(i));
    if (const auto list = support::array_at(o, "signers"))
        for (std::size_t i = 0; i < list->size(); ++i) {
            const auto j = support::object_in(list, i);
            r.signers.push_back({string_at(j, "email").value_or(""), string_at(j, "first_name").value_or(""),
                                 string_at(j, "last_name").value_or(""), string_at(j, "role").value_or("signer")});
        }
    r.state = string_at(o, "state").value_or("");
    r.universign_state = string_at(o, "universign_state").value_or("");
    r.created_at_ms = support::integer_at(o, "created_at_ms").value_or(0);
    if (const auto k = support::array_at(o, "kept"))
        for (std::size_t i = 0; i < k->size(); ++i) r.kept.push_back(k->getElement<bool>(i));
    r.document_count = static_cast<std::size_t>(support::integer_at(o, "document_count").value_or(0));
    return r;
}

Records::Records(std::shared_ptr<support::StateStore> state, Host host) : state_(std::move(state)), host_(host) {}

std::optional<Records::Versioned> Records::read(const std::string &custom_id) const {
    const auto v = state_->read(record_key(custom_id));
    if (!v) return std::nullopt;
    const auto json = support::parse_json_object(v->value, RELAIS_INTERNAL, "the record of custom_id " + custom_id);
    return Versioned{Record::from_json(json), v->version};
}

bool Records::write(const Record &record, uint64_t version) const {
    return state_->write(record_key(record.custom_id), relais::to_string(record.to_json()), version).written;
}

std::optional<Record> Records::update(const std::string &custom_id, const std::function<void(Record &)> &change) const {
    for (int attempt = 0; attempt < kUpdateAttempts; ++attempt) {
        auto current = read(custom_id);
        if (!current) return std::nullopt;
        change(current->record);
        if (write(current->record, current->version)) return current->record;
    }
    throw Error(RELAIS_TRANSIENT, "the record of custom_id " + custom_id + " kept changing under this update");
}

void Records::erase(const std::string &custom_id) const { state_->erase(record_key(custom_id)); }

void Records::mark_open(const Record &record) const {
    Json open = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    open->set("custom_id", record.custom_id);
    open->set("created_at_ms", record.created_at_ms);
    state_->put(id_key(record.transaction_id), record.custom_id);
    state_->put(open_key(record.transaction_id), relais::to_string(open));
}

void Records::mark_final(const std::string &transaction_id) const { state_->erase(open_key(transaction_id)); }

std::optional<std::string> Records::custom_id_of(const std::string &transaction_id) const {
    return state_->get(id_key(transaction_id));
}

Records::OpenPage Records::open_page(const std::optional<std::string> &cursor, uint32_t limit) const {
    const auto page = state_->list("open/", cursor, limit);
    OpenPage out;
    out.next_cursor = page.next_cursor;
    for (const auto &k : page.keys) {
        const auto value = state_->get(k.key);
        if (!value) continue;  // final meanwhile
        Open o;
        o.transaction_id = k.key.substr(5);
        try {
            const auto json = support::parse_json_object(*value, RELAIS_INTERNAL, k.key);
            o.custom_id = string_at(json, "custom_id").value_or("");
            o.created_at_ms = support::integer_at(json, "created_at_ms").value_or(0);
        } catch (const Error &e) {
            host_.warn("skipping " + k.key + ": " + e.what());
            continue;
        }
        out.open.push_back(std::move(o));
    }
    return out;
}

void Records::keep_document(const std::string &tx, std::size_t index, const SignedDocument &document) const {
    const auto key = doc_key(tx, index);
    std::size_t chunks = 0;
    for (std::size_t at = 0; at < document.bytes.size() || chunks == 0; at += kChunkBytes, ++chunks)
        state_->write(key + "/" + std::to_string(chunks), support::base64_encode(document.bytes.substr(at, kChunkBytes)),
                      support::StateStore::kAnyVersion, kSpoolTtl);
    // The description last: a document is kept once it is there, whole.
    Json meta = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    meta->set("name", document.name);
    meta->set("bytes", static_cast<uint64_t>(document.bytes.size()));
    meta->set("sha256", support::sha256_hex(document.bytes));
    meta->set("chunks", static_cast<uint64_t>(chunks));
    state_->write(key, relais::to_string(meta), support::StateStore::kAnyVersion, kSpoolTtl);
}

std::optional<SignedDocument> Records::kept_document(const std::string &tx, std::size_t index) const {
    const auto key = doc_key(tx, index);
    const auto meta_text = state_->get(key);
    if (!meta_text) return std::nullopt;
    const auto meta = support::parse_json_object(*meta_text, RELAIS_INTERNAL, key);
    SignedDocument d;
    d.name = string_at(meta, "name").value_or("");
    const auto chunks = support::integer_at(meta, "chunks").value_or(0);
    for (int64_t c = 0; c < chunks; ++c) {
        const auto part = state_->get(key + "/" + std::to_string(c));
        if (!part) return std::nullopt;  // expired under us: fetch again
        d.bytes += support::base64_decode(*part);
    }
    if (support::sha256_hex(d.bytes) != string_at(meta, "sha256").value_or("")) return std::nullopt;
    return d;
}

}  // namespace relais::universign
