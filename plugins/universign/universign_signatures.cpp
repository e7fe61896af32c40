#include "universign_signatures.hpp"

#include "universign_errors.hpp"

#include <relais/support/bytes.hpp>
#include <relais/support/json.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/String.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace relais::universign {

namespace {

using std::chrono::milliseconds;

// How long a creation under way in another call keeps others from sending the same custom_id:
// longer than one request may take (connect and read timeouts, with margin).
milliseconds busy_window(const Settings &s) {
    return s.connection.connect_timeout + 2 * s.connection.read_timeout + std::chrono::seconds(30);
}

bool is_restoring(const Error &e) {
    return e.detail() && e.detail()->has("fault_code") && support::integer_at(e.detail(), "fault_code") == kFaultRestoring;
}


void add_call(Record &r, const Call &call) {
    if (!call.is_job() || call.id().empty()) return;
    if (std::find(r.call_ids.begin(), r.call_ids.end(), call.id()) != r.call_ids.end()) return;
    r.call_ids.push_back(call.id());
    if (r.call_ids.size() > 8) r.call_ids.erase(r.call_ids.begin());  // the newest jobs wait on it
}

std::string who(const SignerView &s) {
    const auto name = Poco::trim(s.first_name + " " + s.last_name);
    return name.empty() ? s.email : name + " <" + s.email + ">";
}

}  // namespace

std::string file_stem(const std::string &custom_id) {
    std::string out;
    for (char c : custom_id)
        out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-') ? c : '_';
    if (out.empty() || out.front() == '.') out.insert(out.begin(), '_');
    return out;
}

Signatures::Signatures(Settings settings, std::shared_ptr<UniversignApi> api, std::shared_ptr<Records> records,
                       Host host)
    : settings_(std::move(settings)), api_(std::move(api)), records_(std::move(records)), host_(host) {}

Gate Signatures::gate_for(const Call &call) const {
    return Gate{&call, call.is_job() ? std::chrono::seconds(10) : std::chrono::seconds(30)};
}

TransactionView Signatures::enriched(TransactionView view, const Record *record) const {
    if (!record) return view;
    if (view.custom_id.empty()) view.custom_id = record->custom_id;
    for (std::size_t i = 0; i < view.signers.size() && i < record->signers.size(); ++i) {
        auto &s = view.signers[i];
        const auto &r = record->signers[i];
        if (!s.email.empty() && s.email != r.email) continue;  // not the same list
        if (s.email.empty()) s.email = r.email;
        if (s.first_name.empty()) s.first_name = r.first_name;
        if (s.last_name.empty()) s.last_name = r.last_name;
        s.role = r.role;
    }
    return view;
}

Json Signatures::progress(const TransactionView &view, const std::string &stage) const {
    Json out = view.to_json();
    out->set("stage", stage);
    return out;
}

// ---- request_signature ----------------------------------------------------------------

Json Signatures::request(const Json &input, Call &call) {
    if (call.is_job())
        if (const auto checkpoint = call.checkpoint()) return wait_step(checkpoint, call);
    const auto request = parse_signature_request(input, settings_);
    const auto gate = gate_for(call);
    auto found = ensure_created(request, call, gate);
    const auto current = records_->read(request.custom_id);
    const Record *record = current ? &current->record : nullptr;
    const auto view = enriched(found.view, record);
    if (!call.is_job()) {
        Json out = view.to_json();
        out->set("created", found.created);
        out->set("url", view.signers.empty() ? std::string() : view.signers.front().url);
        return out;
    }
    if (view.state == State::completed) return finish(view, call);
    if (is_final(view.state)) ended_badly(view);
    return call.continue_later(settings_.job_recheck, progress(view, "waiting"));
}

Signatures::Found Signatures::ensure_created(const SignatureRequest &request, Call &call, const Gate &gate) {
    for (int attempt = 0; attempt < 5; ++attempt) {
        const auto current = records_->read(request.custom_id);
        if (!current) {
            Record r;
            r.custom_id = request.custom_id;
            r.api = settings_.api_text;
            r.phase = "sending";
            r.owner_call = call.id();
            r.phase_at_ms = now_ms();
            r.created_at_ms = now_ms();
            r.document_count = request.documents.size();
            for (const auto &s : request.signers) r.signers.push_back({s.email, s.first_name, s.last_name, s.role});
            add_call(r, call);
            if (!records_->write(r, 0)) continue;  // another call wrote it first: look again
            const auto written = records_->read(request.custom_id);
            return send_new(request, written ? written->version : 0, call, gate);
        }
        if (current->record.api != settings_.api_text)
            throw invalid_input("custom_id " + request.custom_id + " was sent through Universign's " +
                                current->record.api + " API (transaction " + current->record.transaction_id +
                                "), which shares nothing with the " + api_->api_name() + " API configured now");
        if (auto found = adopt_existing(*current, request, call, gate)) return *found;
        const auto again = records_->read(request.custom_id);
        if (again && again->record.phase == "sending" && again->record.owner_call == call.id())
            return send_new(request, again->version, call, gate);
    }
    throw Error(RELAIS_TRANSIENT, "custom_id " + request.custom_id + ": its record kept changing; try again",
                nullptr, std::chrono::seconds(2));
}

std::optional<Signatures::Found> Signatures::adopt_existing(const Records::Versioned &current,
                                                            const SignatureRequest &request, Call &call,
                                                            const Gate &gate) {
    const auto &rec = current.record;
    if (rec.phase == "open" || rec.phase == "final") {
        if (call.is_job()) records_->update(rec.custom_id, [&](Record &r) { add_call(r, call); });
        return Found{api_->info(rec.transaction_id, gate), false};
    }
    // An earlier creation did not finish: under way in another call, or cut off.
    const auto age = milliseconds(now_ms() - rec.phase_at_ms);
    if (rec.phase != "uncertain" && rec.owner_call != call.id() && age < busy_window(settings_))
        throw Error(RELAIS_TRANSIENT,
                    "custom_id " + rec.custom_id + " is being sent to Universign by another call; try again shortly",
                    nullptr, std::chrono::seconds(5));
    std::optional<TransactionView> found;
    if (settings_.api == Api::rest && rec.phase == "drafting") {
        // A draft left half-built is never started: cancel it (a draft Universign cancels by
        // itself after 7 days anyway) and build a new one.
        try {
            api_->cancel(rec.draft_id, gate);
        } catch (const Error &e) {
            host_.info("the unfinished draft " + rec.draft_id + " of custom_id " + rec.custom_id +
                       " could not be cancelled (" + e.what() + "); Universign drops it after 7 days");
        }
    } else {
        found = api_->find_created(rec.custom_id, rec.draft_id, gate);
    }
    if (found) {
        host_.info("custom_id " + rec.custom_id + ": the transaction " + found->id +
                   " an earlier attempt created was found and is kept (no second transaction)");
        opened(rec.custom_id, *found, call);
        return Found{*found, false};
    }
    Record reset = rec;
    reset.phase = "sending";
    reset.owner_call = call.id();
    reset.phase_at_ms = now_ms();
    reset.draft_id.clear();
    reset.signers.clear();
    for (const auto &s : request.signers) reset.signers.push_back({s.email, s.first_name, s.last_name, s.role});
    reset.document_count = request.documents.size();
    add_call(reset, call);
    records_->write(reset, current.version);  // lost to another writer: the caller looks again
    return std::nullopt;
}

Signatures::Found Signatures::send_new(const SignatureRequest &request, uint64_t, Call &call, const Gate &gate) {
    const auto &custom_id = request.custom_id;
    Created created;
    try {
        created = api_->create(request, gate, [&](const std::string &draft, bool complete) {
            records_->update(custom_id, [&](Record &r) {
                r.draft_id = draft;
                r.phase = complete ? "starting" : "drafting";
                r.phase_at_ms = now_ms();
            });
        });
    } catch (const Uncertain &) {
        records_->update(custom_id, [](Record &r) {
            r.phase = "uncertain";
            r.phase_at_ms = now_ms();
        });
        throw;
    } catch (const Error &e) {
        // Universign already has a transaction of this customId: it is the one.
        if (settings_.api == Api::xmlrpc && e.status() == RELAIS_INVALID_INPUT) {
            if (const auto view = api_->info_by_custom_id(custom_id, gate)) {
                opened(custom_id, *view, call);
                return Found{*view, false};
            }
        }
        // Not created: forget the attempt, so that a corrected request can be sent.
        const auto rec = records_->read(custom_id);
        if (rec && !rec->record.draft_id.empty()) {
            try {
                api_->cancel(rec->record.draft_id, gate);
            } catch (const Error &) {
            }
        }
        records_->erase(custom_id);
        throw;
    }
    TransactionView known;
    known.id = created.transaction_id;
    known.custom_id = custom_id;
    opened(custom_id, known, call);
    host_.info("custom_id " + custom_id + ": Universign transaction " + created.transaction_id + " sent to " +
               std::to_string(request.signers.size()) + " signer(s)");
    auto view = api_->info(created.transaction_id, gate);
    records_->update(custom_id, [&](Record &r) {
        r.state = state_name(view.state);
        r.universign_state = view.raw_state;
    });
    return Found{std::move(view), true};
}

void Signatures::opened(const std::string &custom_id, const TransactionView &view, Call &call) {
    const auto record = records_->update(custom_id, [&](Record &r) {
        r.transaction_id = view.id;
        r.phase = is_final(view.state) ? "final" : "open";
        r.phase_at_ms = now_ms();
        r.draft_id.clear();
        if (!view.raw_state.empty()) {
            r.state = state_name(view.state);
            r.universign_state = view.raw_state;
        }
        add_call(r, call);
    });
    if (record && record->phase == "open") records_->mark_open(*record);
}

Json Signatures::wait_step(const Json &checkpoint, Call &call) {
    const auto custom_id = support::string_at(checkpoint, "custom_id").value_or("");
    const auto current = records_->read(custom_id);
    if (!current || current->record.transaction_id.empty())
        throw internal("the record of custom_id " + custom_id + " is missing from the connector's state");
    const auto view = enriched(api_->info(current->record.transaction_id, gate_for(call)), &current->record);
    records_->update(custom_id, [&](Record &r) {
        r.state = state_name(view.state);
        r.universign_state = view.raw_state;
    });
    if (view.state == State::completed) return finish(view, call);
    if (is_final(view.state)) {
        records_->update(custom_id, [](Record &r) { r.phase = "final"; });
        records_->mark_final(view.id);
        ended_badly(view);
    }
    return call.continue_later(settings_.job_recheck, progress(view, "waiting"));
}

Json Signatures::finish(const TransactionView &view, Call &call) {
    std::vector<SignedDocument> documents;
    try {
        documents = documents_of(view, gate_for(call));
    } catch (const Error &e) {
        if (!is_restoring(e)) throw;
        call.info(std::string(e.what()) + "; looking again in " + std::to_string(settings_.restore_retry.count()) + " s");
        return call.continue_later(settings_.restore_retry, progress(view, "restoring"));
    }
    const auto files = write_files(view.custom_id, documents);
    records_->update(view.custom_id, [](Record &r) {
        r.phase = "final";
        r.state = "completed";
    });
    records_->mark_final(view.id);
    Json out = view.to_json();
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (std::size_t i = 0; i < documents.size(); ++i) {
        Json d = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        d->set("name", documents[i].name);
        d->set("bytes", static_cast<uint64_t>(documents[i].bytes.size()));
        d->set("sha256", support::sha256_hex(documents[i].bytes));
        if (i < files.size()) d->set("file", files[i]);
        d->set("file_base64", support::base64_encode(documents[i].bytes));
        list->add(d);
    }
    out->set("documents", list);
    host_.info("custom_id " + view.custom_id + ": transaction " + view.id + " signed by everyone, " +
               std::to_string(documents.size()) + " signed document(s) fetched");
    return out;
}

std::vector<SignedDocument> Signatures::documents_of(const TransactionView &view, const Gate &gate) {
    std::size_t expected = view.document_ids.size();
    if (expected == 0 && !view.custom_id.empty())
        if (const auto rec = records_->read(view.custom_id)) expected = rec->record.document_count;
    std::vector<std::optional<SignedDocument>> docs(expected);
    std::vector<bool> have(expected, false);
    bool all = expected > 0;
    for (std::size_t i = 0; i < expected; ++i) {
        docs[i] = records_->kept_document(view.id, i);
        have[i] = docs[i].has_value();
        all = all && have[i];
    }
    if (!all) {
        api_->documents(view, have, [&](std::size_t index, SignedDocument document) {
            records_->keep_document(view.id, index, document);
            if (index >= docs.size()) docs.resize(index + 1);
            docs[index] = std::move(document);
        }, gate);
    }
    std::vector<SignedDocument> out;
    for (std::size_t i = 0; i < docs.size(); ++i) {
        if (!docs[i]) throw Error(RELAIS_TRANSIENT, "the signed document " + std::to_string(i) + " of " + view.id +
                                                        " did not come; fetching it again");
        if (docs[i]->name.empty()) docs[i]->name = "document-" + std::to_string(i + 1) + ".pdf";
        out.push_back(std::move(*docs[i]));
    }
    return out;
}

std::vector<std::string> Signatures::write_files(const std::string &custom_id,
                                                 const std::vector<SignedDocument> &documents) const {
    std::vector<std::string> paths;
    if (settings_.output_directory.empty()) return paths;
    const std::filesystem::path dir = std::filesystem::absolute(settings_.output_directory);
    for (std::size_t i = 0; i < documents.size(); ++i) {
        const auto name = file_stem(custom_id) + (documents.size() > 1 ? "-" + std::to_string(i + 1) : "") + ".pdf";
        const auto path = dir / name;
        // Written aside, then renamed: a reader never sees half a PDF, and a repeated step
        // replaces the file with the same bytes.
        const auto temp = dir / ("." + name + ".part-" + std::to_string(::getpid()));
        {
            std::ofstream out(temp, std::ios::binary | std::ios::trunc);
            out.write(documents[i].bytes.data(), static_cast<std::streamsize>(documents[i].bytes.size()));
            out.flush();
            if (!out)
                throw Error(RELAIS_TRANSIENT, "output_directory: cannot write " + temp.string() + ": " +
                                                  std::strerror(errno));
        }
        std::error_code ec;
        std::filesystem::rename(temp, path, ec);
        if (ec) throw Error(RELAIS_TRANSIENT, "output_directory: cannot rename to " + path.string() + ": " + ec.message());
        paths.push_back(path.string());
    }
    return paths;
}

void Signatures::ended_badly(const TransactionView &view) const {
    std::string why;
    for (const auto &s : view.signers) {
        if (view.state == State::refused && (s.state == "canceled" || s.state == "stalled"))
            why = who(s) + " refused to sign" + (s.action_date.empty() ? "" : " on " + s.action_date);
        if (view.state == State::failed && (s.state == "failed" || !s.error.empty()))
            why = "the signature of " + who(s) + " failed" + (s.error.empty() ? "" : ": " + s.error);
        if (view.state == State::expired && s.role == "signer" && s.state != "signed" && s.state != "closed" && why.empty())
            why = who(s) + " had not signed";
    }
    if (view.state == State::canceled) why = "cancelled by the requester";
    Json detail = view.to_json();
    throw Error(RELAIS_PERMANENT,
                "the Universign transaction " + view.id + " of custom_id " + view.custom_id + " ended " +
                    state_name(view.state) + " (Universign: " + view.raw_state + ")" + (why.empty() ? "" : ": " + why) +
                    "; nothing was signed, send a new request to try again",
                detail);
}

// ---- actions on one transaction ----------------------------------------------------------

TransactionView Signatures::resolve(const TransactionRef &ref, const Gate &gate, std::optional<Record> *record) {
    std::optional<Records::Versioned> rec;
    std::string id = ref.transaction_id;
    if (!ref.custom_id.empty()) {
        rec = records_->read(ref.custom_id);
        if (rec && !rec->record.transaction_id.empty()) id = rec->record.transaction_id;
    } else if (const auto custom = records_->custom_id_of(id)) {
        rec = records_->read(*custom);
    }
    TransactionView view;
    if (!id.empty()) {
        view = api_->info(id, gate);
    } else if (const auto found = api_->info_by_custom_id(ref.custom_id, gate)) {
        view = *found;
    } else {
        throw not_found("no transaction of custom_id " + ref.custom_id +
                        (settings_.api == Api::rest ? " was created by this connector (Universign's REST API cannot "
                                                      "search by custom_id: name it by transaction_id)"
                                                    : " is known to Universign"));
    }
    if (record && rec) *record = rec->record;
    return enriched(view, rec ? &rec->record : nullptr);
}

Json Signatures::status(const Json &input, Call &call) {
    return resolve(parse_transaction_ref(input), gate_for(call)).to_json();
}

Json Signatures::fetch_signed(const Json &input, Call &call) {
    const auto view = resolve(parse_transaction_ref(input), gate_for(call));
    if (view.state != State::completed)
        throw Error(RELAIS_PERMANENT, "the transaction " + view.id + " is " + state_name(view.state) +
                                          (is_final(view.state) ? ": it has no signed documents"
                                                                : ": documents exist once every signer has signed"),
                    view.to_json());
    std::vector<SignedDocument> documents;
    try {
        documents = documents_of(view, gate_for(call));
    } catch (const Error &e) {
        if (is_restoring(e) && call.is_job()) return call.continue_later(settings_.restore_retry, progress(view, "restoring"));
        throw;
    }
    Json out = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    out->set("transaction_id", view.id);
    if (!view.custom_id.empty()) out->set("custom_id", view.custom_id);
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto &d : documents) {
        Json j = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        j->set("name", d.name);
        j->set("bytes", static_cast<uint64_t>(d.bytes.size()));
        j->set("sha256", support::sha256_hex(d.bytes));
        j->set("file_base64", support::base64_encode(d.bytes));
        list->add(j);
    }
    out->set("documents", list);
    return out;
}

Json Signatures::cancel(const Json &input, Call &call) {
    const auto gate = gate_for(call);
    std::optional<Record> record;
    const auto view = resolve(parse_transaction_ref(input), gate, &record);
    api_->cancel(view.id, gate);
    if (record) wake_jobs(*record);  // they see the cancellation and end
    Json out = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    out->set("transaction_id", view.id);
    out->set("state", "canceled");
    return out;
}

Json Signatures::remind(const Json &input, Call &call) {
    const auto gate = gate_for(call);
    const auto ref = parse_transaction_ref(input);
    std::string id = ref.transaction_id;
    if (id.empty()) id = resolve(ref, gate).id;
    api_->remind(id, gate);
    Json out = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    out->set("transaction_id", id);
    out->set("reminded", true);
    return out;
}

std::size_t Signatures::wake_jobs(const Record &record) const {
    std::size_t woken = 0;
    for (const auto &id : record.call_ids) {
        try {
            if (host_.wake_call(id)) ++woken;
        } catch (const Error &e) {
            host_.warn("cannot wake the job " + id + " of custom_id " + record.custom_id + ": " + e.what());
        }
    }
    return woken;
}

}  // namespace relais::universign
