#include "chorus_submission.hpp"

#include "chorus_input.hpp"
#include "chorus_states.hpp"

#include <relais/support/json.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/String.h>

#include <algorithm>
#include <chrono>
#include <ctime>

namespace relais::chorus {

using support::array_at;
using support::integer_at;
using support::object_in;
using support::string_at;
using JsonArray = Poco::JSON::Array::Ptr;

namespace {

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string utc_date(int64_t ms) {
    const std::time_t t = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buffer[16];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%d", &tm);
    return buffer;
}

std::string record_key(const std::string &key) { return "submission/" + key; }
std::string file_key(const std::string &sha256) { return "file/" + sha256; }
// Which submission a flux belongs to: a search by invoice number also finds the fluxes of
// another file sent under the same number, which must not be taken for this one's.
std::string flux_owner_key(const std::string &flux) { return "flux/" + flux; }

std::string utc_iso(int64_t ms) {
    const std::time_t t = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buffer;
}

std::string utc_minute(int64_t ms) {
    const std::time_t t = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M UTC", &tm);
    return buffer;
}

// Failures after which the next look is merely later: an outage, a full quota.
bool only_delays(const Error &e) { return e.status() == RELAIS_TRANSIENT || e.status() == RELAIS_RATE_LIMITED; }

}  // namespace

Submissions::Submissions(std::shared_ptr<ChorusApi> api, std::shared_ptr<Queries> queries,
                         std::shared_ptr<SubmissionStore> store, std::shared_ptr<SubmissionLocks> locks, Host host,
                         std::shared_ptr<FollowUp> follow_up)
    : api_(std::move(api)), queries_(std::move(queries)), store_(std::move(store)), locks_(std::move(locks)), host_(host),
      follow_up_(std::move(follow_up)) {}

std::string Submissions::key_of(const std::string &invoice_number, const std::string &file_sha256) {
    return sha256_hex(invoice_number + '\n' + file_sha256).substr(0, 32);
}

std::optional<SubmissionRecord> Submissions::load(const std::string &key) {
    const auto text = store_->get(record_key(key));
    if (!text) return std::nullopt;
    return SubmissionRecord::from_json(parse_object(*text, RELAIS_INTERNAL, "the record of submission " + key));
}

void Submissions::save(const SubmissionRecord &record) {
    store_->put(record_key(record.key), relais::to_string(record.to_json()));
}

Json Submissions::summary(const SubmissionRecord &r) const {
    Json o = new Poco::JSON::Object;
    o->set("submission_key", r.key);
    o->set("invoice_number", r.invoice_number);
    o->set("state", r.state);
    o->set("final", r.phase == "final");
    if (!r.chorus_state.empty()) o->set("chorus_state", r.chorus_state);
    if (!r.flux_number.empty()) o->set("flux_number", r.flux_number);
    if (!r.deposit_date.empty()) o->set("deposit_date", r.deposit_date);
    o->set("syntax", r.syntax);
    o->set("file_name", r.file_name);
    o->set("file_sha256", r.file_sha256);
    o->set("deposits", static_cast<int64_t>(r.fluxes->size()));
    if (r.fluxes->size() > 1) o->set("fluxes", r.fluxes);
    if (r.invoices) o->set("invoices", r.invoices);
    if (r.report) {
        const auto errors = r.report->getArray("errors");
        if (errors && errors->size() > 0) o->set("errors", errors);
    }
    if (!r.final_error.empty()) o->set("error", r.final_error);
    return o;
}

void Submissions::deposit(SubmissionRecord &r, const InvoiceFile &file, const Call &call) {
    const auto previous_phase = r.phase;
    const auto previous_attempt = r.attempt_started_at;
    r.phase = "depositing";
    r.attempt_started_at = now_ms();
    save(r);  // from here on, a crash leaves "depositing": checked, never re-sent blindly

    Json body = new Poco::JSON::Object;
    body->set("fichierFlux", file.base64());
    body->set("nomFichier", file.name);
    body->set("syntaxeFlux", file.syntax);
    body->set("avecSignature", false);
    const std::string what = "Chorus Pro deposer/flux of invoice " + r.invoice_number;
    const auto outcome = api_->post_outcome("factures/v1/deposer/flux", body, call, what);

    if (outcome.kind == Outcome::Kind::uncertain) {
        r.phase = "uncertain";
        r.state = "unconfirmed";
        save(r);
        host_.warn(what + ": no answer (" + std::string(outcome.error ? outcome.error->what() : "") +
                   "); the invoice will be looked for before any new deposit");
        return;
    }
    if (outcome.kind == Outcome::Kind::not_sent || !outcome.answer.ok()) {
        // Certainly not processed: as it was, the wait after an earlier uncertain deposit
        // included (it is not restarted by an attempt that never reached Chorus Pro).
        r.phase = previous_phase;
        r.attempt_started_at = previous_attempt;
        save(r);
        if (outcome.error) throw *outcome.error;
        throw internal(what + ": refused without an error");
    }
    const auto &answer = outcome.answer.body;
    const auto flux = string_at(answer, "numeroFluxDepot").value_or("");
    if (flux.empty()) {
        // Taken but unnumbered: as good as unknown. Treated as uncertain, so it is searched for.
        r.phase = "uncertain";
        r.state = "unconfirmed";
        save(r);
        host_.warn(what + ": the answer has no numeroFluxDepot; the invoice will be looked for");
        return;
    }
    r.state = "received";
    r.chorus_state = "IN_RECU";
    record_flux(r, flux, string_at(answer, "dateDepot").value_or(utc_date(now_ms())), false);
    host_.info("invoice " + r.invoice_number + " deposited on Chorus Pro as flux " + flux);
}

std::chrono::milliseconds Submissions::next_delay(SubmissionRecord &r, std::chrono::milliseconds at_least) {
    const auto &s = api_->settings();
    auto delay = s.poll_initial_delay;
    for (int64_t i = 0; i < r.polls_since_deposit && delay < s.poll_max_delay; ++i) delay *= 2;
    delay = std::min(delay, s.poll_max_delay);
    const auto allowed_at = r.attempt_started_at + std::chrono::milliseconds(s.uncertain_deposit_wait).count();
    if (r.phase == "uncertain" && allowed_at > now_ms()) {
        // No later than the moment a new deposit becomes allowed. Past it (the searches keep
        // failing), the usual spacing applies: not a look a second during an outage.
        const auto until = std::chrono::milliseconds(allowed_at - now_ms());
        delay = std::max(std::chrono::seconds(1),
                         std::min(delay, std::chrono::duration_cast<std::chrono::seconds>(until) + std::chrono::seconds(1)));
    }
    delay = std::max(delay, std::chrono::ceil<std::chrono::seconds>(at_least));
    r.polls += 1;
    r.polls_since_deposit += 1;
    return delay;
}

Json Submissions::progress(const SubmissionRecord &r, int64_t next_look_at_ms) const {
    Json o = new Poco::JSON::Object;
    o->set("submission_key", r.key);
    o->set("invoice_number", r.invoice_number);
    o->set("state", r.state);
    if (!r.chorus_state.empty()) o->set("chorus_state", r.chorus_state);
    if (!r.flux_number.empty()) o->set("flux_number", r.flux_number);
    if (!r.deposit_date.empty()) o->set("deposit_date", r.deposit_date);
    o->set("deposits", static_cast<int64_t>(r.fluxes->size()));
    o->set("looks", r.polls);
    o->set("next_look_at", utc_iso(next_look_at_ms));
    return o;
}

Json Submissions::wait(SubmissionRecord &r, Call &call, std::chrono::milliseconds at_least,
                       const std::string &last_error) {
    const auto delay = next_delay(r, at_least);
    save(r);
    auto p = progress(r, now_ms() + delay.count());
    if (!last_error.empty()) p->set("last_error", last_error);
    return call.continue_later(delay, p);
}

void Submissions::record_flux(SubmissionRecord &r, const std::string &flux, const std::string &date,
                              bool found_by_search) {
    r.phase = "deposited";
    r.flux_number = flux;
    r.deposit_date = date;
    r.tracking_started_at = now_ms();
    r.polls_since_deposit = 0;
    Json entry = new Poco::JSON::Object;
    entry->set("flux_number", flux);
    entry->set("deposit_date", date);
    if (found_by_search) entry->set("found_by_search", true);
    r.fluxes->add(entry);
    store_->put(flux_owner_key(flux), r.key);
    save(r);
}

void Submissions::deposit_again(SubmissionRecord &r, const Call &call) {
    const auto bytes = store_->get(file_key(r.file_sha256));
    if (!bytes) throw internal("the file of submission " + r.key + " is no longer kept: submit it again");
    deposit(r, InvoiceFile{*bytes, r.file_name, r.syntax, r.file_sha256}, call);
}

void Submissions::finish(SubmissionRecord &r, const std::string &error) {
    r.phase = "final";
    r.final_error = error;
    const auto retention = std::chrono::duration_cast<std::chrono::milliseconds>(api_->settings().submission_retention);
    // Kept long enough to recognise the same file sent again, then forgotten.
    put_expiring(*store_, host_, record_key(r.key), relais::to_string(r.to_json()), retention);
    for (std::size_t i = 0; i < r.fluxes->size(); ++i)
        if (const auto flux = string_at(object_in(r.fluxes, i), "flux_number"))
            put_expiring(*store_, host_, flux_owner_key(*flux), r.key, retention);
    store_->erase(file_key(r.file_sha256));  // no new deposit can be needed now
    if (follow_up_ && r.invoices) follow_up_->add(r);
}

Json Submissions::outcome(const SubmissionRecord &r) const {
    if (r.final_error.empty()) return summary(r);
    throw permanent(r.final_error, summary(r));
}

Json Submissions::submit(const Json &input, Call &call) {
    if (const auto checkpoint = call.checkpoint()) {
        // A later step: the record says where the submission is.
        const auto key = string_at(checkpoint, "submission_key").value_or("");
        if (key.empty()) throw internal("the submission job's checkpoint has no submission_key");
        const auto guard = locks_->lock(key);
        auto loaded = load(key);
        if (!loaded) throw internal("submission " + key + " of this job is no longer recorded");
        return step(*loaded, call);
    }
    const auto invoice_number = text_field(input, "invoice_number");
    if (invoice_number.empty()) throw invalid_input("invoice_number is required (the invoice's own number, BT-1)");
    const auto &settings = api_->settings();
    if (const auto code = text_field(input, "dematerialisation_code"); !code.empty()) {
        const auto &valid = settings.dematerialisation_codes;
        if (std::find(valid.begin(), valid.end(), code) == valid.end())
            throw invalid_input("dematerialisation_code " + code +
                                " is not one sent through Chorus Pro (dematerialisation_codes setting)");
    }
    const auto file = read_invoice_file(input, invoice_number, settings.file_directory);
    const bool track = !input->has("track") || input->optValue<bool>("track", true);
    if (track && !call.is_job())
        // Refused before the deposit: a call that cannot wait must not leave a deposit unfollowed.
        throw Error(RELAIS_UNSUPPORTED, "submit_invoice waits for Chorus Pro's processing and runs only as a job "
                                        "(POST /api/v1/jobs); with \"track\": false it only deposits");
    const auto key = key_of(invoice_number, file.sha256);
    const auto guard = locks_->lock(key);

    // The first step, or the same step again after a crash: the record decides.
    auto existing = load(key);
    SubmissionRecord r = existing ? *existing : SubmissionRecord{};
    const bool fresh = !existing || r.phase == "new";
    if (!existing) {
        r.key = key;
        r.invoice_number = invoice_number;
        r.file_sha256 = file.sha256;
        r.file_name = file.name;
        r.syntax = file.syntax;
        r.created_at = now_ms();
    }
    if (fresh) {
        store_->put(file_key(file.sha256), file.bytes);  // for a new deposit, should one be needed
        deposit(r, file, call);
    } else if (r.phase == "depositing") {
        // An earlier step died during its deposit: whether it arrived is unknown.
        r.phase = "uncertain";
        r.state = "unconfirmed";
        save(r);
    }
    if (r.phase == "final") {
        auto o = outcome(r);
        o->set("already_submitted", true);
        return o;
    }
    if (!track) {
        // Deposited, not followed: the ERP follows with submission_status or flux_status.
        auto o = summary(r);
        o->set("deposited", fresh && r.phase == "deposited");
        if (!fresh) o->set("already_submitted", true);
        return o;
    }
    return wait(r, call);
}

Json Submissions::step(SubmissionRecord &r, Call &call) {
    if (r.phase == "final") return outcome(r);
    if (r.phase == "new") throw permanent("submission " + r.key + " was never deposited: submit it again");
    try {
        if (follow(r, call)) return outcome(r);
        return wait(r, call);
    } catch (const Error &e) {
        // An outage or a full quota only delays the next look; anything else (credentials,
        // configuration, a bug) fails the step, to be retried once fixed.
        const bool unsure = r.phase == "uncertain" || r.phase == "depositing";
        const auto &s = api_->settings();
        const bool too_long =
            unsure && now_ms() - r.attempt_started_at > std::chrono::milliseconds(s.tracking_max).count();
        if (!only_delays(e) || too_long) {
            if (!unsure) throw;
            // Whether the invoice reached Chorus Pro is not known: the person reading the dead
            // job is told where to look, and that retrying the job picks up from here.
            const auto why = too_long ? "Chorus Pro could not be searched for " + std::to_string(s.tracking_max.count()) +
                                            " h (last: " + e.what() + ")"
                                      : std::string(e.what());
            Json detail = summary(r);
            if (e.detail()) detail->set("cause", e.detail());
            throw Error(too_long ? RELAIS_PERMANENT : e.status(), unconfirmed_message(r, why), detail);
        }
        host_.warn("following invoice " + r.invoice_number + ": " + e.what() + "; looking again later");
        return wait(r, call, e.retry_after(), e.what());
    }
}

Json Submissions::track(const Json &input, Call &call) {
    const auto key = text_field(input, "submission_key");
    if (key.empty()) throw invalid_input("submission_key is required");
    const auto guard = locks_->lock(key);
    auto loaded = load(key);
    if (!loaded) throw not_found("no submission has key " + key);
    if (call.is_job()) return step(*loaded, call);
    // Called directly (not as a job): one look, and what it found.
    SubmissionRecord r = *loaded;
    if (r.phase != "final" && r.phase != "new") follow(r, call);
    if (r.phase != "final") save(r);
    return summary(r);
}

std::string Submissions::unconfirmed_message(const SubmissionRecord &r, const std::string &why) const {
    const auto &s = api_->settings();
    const std::string portal = s.production ? "https://chorus-pro.gouv.fr" : "https://qualif.chorus-pro.gouv.fr";
    return "invoice " + r.invoice_number + ": whether its deposit of " + utc_minute(r.attempt_started_at) +
           " reached Chorus Pro is not known, and looking for it failed: " + why +
           ". Check on the Chorus Pro portal (" + portal + ", invoices sent, number " + r.invoice_number +
           ", deposited since " + utc_date(r.attempt_started_at) +
           ") whether it is there. If it is, do not send it again. If it is not, fix the cause above and retry this "
           "job: it looks again and deposits the file only if Chorus Pro has no trace of it (submission " +
           r.key + ")";
}

std::string Submissions::unclaimed_flux(const SubmissionRecord &r, const JsonArray &found, std::string &date) {
    std::string flux;
    for (std::size_t i = 0; found && i < found->size(); ++i) {
        const auto inv = object_in(found, i);
        const auto number = string_at(inv, "flux_number").value_or("");
        // Fluxes already followed (an earlier IN_INCIDENTE) or another file's under the same
        // invoice number are not the lost deposit.
        bool known = number.empty();
        for (std::size_t j = 0; !known && j < r.fluxes->size(); ++j)
            known = string_at(object_in(r.fluxes, j), "flux_number").value_or("") == number;
        if (!known) {
            const auto owner = store_->get(flux_owner_key(number));
            known = owner && *owner != r.key;
        }
        if (!known) {
            flux = number;
            date = string_at(inv, "deposit_date").value_or("");
        }
    }
    return flux;
}

bool Submissions::follow(SubmissionRecord &r, const Call &call) {
    const auto &s = api_->settings();
    if (r.phase == "depositing") {
        r.phase = "uncertain";  // a step died during a new deposit
        r.state = "unconfirmed";
        save(r);
    }
    if (r.phase == "uncertain") {
        // Was the lost deposit taken? Its invoice shows up in the supplier's invoices once
        // integrated; fluxes already known (an earlier IN_INCIDENTE) do not count.
        Json criteria = new Poco::JSON::Object;
        criteria->set("numeroFacture", r.invoice_number);
        criteria->set("periodeDateDepotDu", utc_date(r.attempt_started_at - 86'400'000));
        // Every form of "no result" reads as an empty list here (Queries::read_search_answer).
        const auto found = queries_->invoices(criteria, 100, 1000, call)->getArray("invoices");
        std::string date;
        const auto flux = unclaimed_flux(r, found, date);
        if (!flux.empty()) {
            host_.info("invoice " + r.invoice_number + ": the deposit whose answer was lost arrived as flux " + flux);
            record_flux(r, flux, date, true);
        } else if (now_ms() - r.attempt_started_at >= std::chrono::milliseconds(s.uncertain_deposit_wait).count()) {
            host_.warn("invoice " + r.invoice_number + ": no trace of the earlier deposit after " +
                       std::to_string(s.uncertain_deposit_wait.count()) + " s; depositing the file again");
            deposit_again(r, call);
            return false;
        } else {
            return false;
        }
    }

    // Deposited: read the processing report.
    const auto report = queries_->flux_report(r.flux_number, call);
    r.report = report;
    r.state = report->getValue<std::string>("state");
    r.chorus_state = report->getValue<std::string>("chorus_state");
    const auto phase = flux_phase(r.chorus_state);
    if (!is_final(phase)) {
        if (now_ms() - r.tracking_started_at > std::chrono::milliseconds(s.tracking_max).count()) {
            r.state = "tracking_timed_out";
            finish(r, "flux " + r.flux_number + " of invoice " + r.invoice_number + " is still " + r.chorus_state +
                          " after " + std::to_string(s.tracking_max.count()) + " h: check it on the Chorus Pro portal");
            return true;
        }
        return false;
    }

    auto last = object_in(r.fluxes, r.fluxes->size() - 1);
    if (last) last->set("outcome", r.chorus_state);
    if (phase == FluxPhase::incident) {
        if (r.redeposits >= s.max_redeposits) {
            finish(r, "flux " + r.flux_number + " of invoice " + r.invoice_number +
                          " was not processed by Chorus Pro (IN_INCIDENTE), " + std::to_string(r.redeposits) +
                          " new deposit(s) already made: deposit it by hand or submit it again later");
            return true;
        }
        host_.warn("flux " + r.flux_number + " of invoice " + r.invoice_number +
                   " is IN_INCIDENTE (not processed): depositing it again");
        r.redeposits += 1;
        deposit_again(r, call);
        return false;
    }
    if (has_invoices(phase)) {
        Json criteria = new Poco::JSON::Object;
        criteria->set("numeroFluxDepot", r.flux_number);
        r.invoices = queries_->invoices(criteria, 100, 1000, call)->getArray("invoices");
        finish(r);
        host_.info("invoice " + r.invoice_number + " integrated by Chorus Pro (flux " + r.flux_number + ")");
        return true;
    }
    // Rejected: the job fails with Chorus Pro's reasons, and ends dead with them.
    std::string reasons;
    const auto errors = report->getArray("errors");
    for (std::size_t i = 0; errors && i < errors->size() && i < 5; ++i)
        reasons += (reasons.empty() ? "" : "; ") + object_in(errors, i)->optValue<std::string>("message", "");
    finish(r, "invoice " + r.invoice_number + " rejected by Chorus Pro (IN_REJETE, flux " + r.flux_number + ")" +
                  (reasons.empty() ? std::string() : ": " + reasons));
    return true;
}

Json Submissions::status(const Json &input, const Call &) {
    auto key = text_field(input, "submission_key");
    if (key.empty()) {
        // The ERP knows its invoice number and file: the key is derived from them.
        const auto number = text_field(input, "invoice_number");
        const auto sha = text_field(input, "file_sha256");
        if (number.empty() || sha.size() != 64)
            throw invalid_input("give submission_key, or invoice_number and file_sha256 (64 hex digits)");
        key = key_of(number, Poco::toLower(sha));
    }
    const auto r = load(key);
    if (!r) throw not_found("no submission has key " + key);
    return summary(*r);
}

}  // namespace relais::chorus
