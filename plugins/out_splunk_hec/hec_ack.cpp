#include "plugins/out_splunk_hec/hec_ack.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cctype>
#include <charconv>
#include <fstream>
#include <random>
#include <stdexcept>

#include "agent/core/durable_io.h"
#include "agent/core/peer_json.h"

namespace auditrelay::splunk_hec {
namespace {

bool is_guid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

}  // namespace

std::string random_guid() {
  std::random_device device;
  std::uniform_int_distribution<unsigned> nibble(0, 15);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string guid;
  guid.reserve(36);
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) guid.push_back('-');
    unsigned v = nibble(device);
    if (i == 12) v = 4;            // version 4: random
    if (i == 16) v = 8 | (v & 3);  // variant 10xx
    guid.push_back(kHex[v]);
  }
  return guid;
}

std::string load_or_create_channel(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string kept;
  if (in && std::getline(in, kept) && is_guid(kept)) return kept;
  std::string channel = random_guid();
  if (std::string error = replace_file_atomically(file, channel + "\n"); !error.empty()) {
    throw std::runtime_error("cannot keep the HEC channel in " + file.string() + ": " + error);
  }
  return channel;
}

std::optional<uint64_t> ack_id_of(const std::string& body) {
  rapidjson::Document doc;
  parse_peer_json(doc, body);
  if (doc.HasParseError() || !doc.IsObject()) return std::nullopt;
  auto it = doc.FindMember("ackId");
  if (it == doc.MemberEnd() || !it->value.IsUint64()) return std::nullopt;
  return it->value.GetUint64();
}

std::optional<std::vector<uint64_t>> acknowledged_ids(const std::string& body) {
  rapidjson::Document doc;
  parse_peer_json(doc, body);
  if (doc.HasParseError() || !doc.IsObject()) return std::nullopt;
  auto acks = doc.FindMember("acks");
  if (acks == doc.MemberEnd() || !acks->value.IsObject()) return std::nullopt;
  std::vector<uint64_t> ids;
  for (const auto& member : acks->value.GetObject()) {
    if (!member.value.IsBool() || !member.value.GetBool()) continue;
    const char* first = member.name.GetString();
    const char* last = first + member.name.GetStringLength();
    uint64_t id = 0;
    auto [end, error] = std::from_chars(first, last, id);
    if (error == std::errc() && end == last) ids.push_back(id);
  }
  return ids;
}

PendingAcks::Actions PendingAcks::add(uint64_t ack_id, Done done, Clock::time_point now) {
  Actions actions;
  if (auto old = waiting_.find(ack_id); old != waiting_.end()) {
    settle(old,
           timed_out("HEC gave the ackId " + std::to_string(ack_id) +
                     " again (restarted?): its earlier request can no longer be confirmed"),
           actions);
  }
  waiting_[ack_id] = Waiting{std::move(done), now};
  return actions;
}

std::string PendingAcks::poll_body() const {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> out(buffer);
  out.StartObject();
  out.Key("acks");
  out.StartArray();
  for (const auto& [id, waiting] : waiting_)
    out.Uint64(id);
  out.EndArray();
  out.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

PendingAcks::Actions PendingAcks::acknowledged(const std::vector<uint64_t>& ids, size_t* count) {
  Actions actions;
  size_t n = 0;
  for (uint64_t id : ids) {
    auto it = waiting_.find(id);
    if (it == waiting_.end()) continue;  // not ours any more (expired), or never was
    delivery::Outcome delivered;
    delivered.status = 200;
    settle(it, std::move(delivered), actions);
    ++n;
  }
  if (count != nullptr) *count = n;
  return actions;
}

PendingAcks::Actions PendingAcks::expire(Clock::time_point now, Clock::duration timeout,
                                         size_t* count) {
  Actions actions;
  size_t n = 0;
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    auto next = std::next(it);
    if (now - it->second.sent >= timeout) {
      settle(it, timed_out("no indexer acknowledgement within ack_timeout"), actions);
      ++n;
    }
    it = next;
  }
  if (count != nullptr) *count = n;
  return actions;
}

void PendingAcks::settle(std::map<uint64_t, Waiting>::iterator it, delivery::Outcome outcome,
                         Actions& actions) {
  actions.push_back([done = std::move(it->second.done), outcome = std::move(outcome)]() mutable {
    done(std::move(outcome));
  });
  waiting_.erase(it);
}

delivery::Outcome PendingAcks::timed_out(std::string reason) {
  delivery::Outcome outcome;
  outcome.verdict = delivery::Verdict::kRetry;
  outcome.status = 200;
  outcome.error_type = "ack_timeout";
  outcome.reason = std::move(reason);
  return outcome;
}

}  // namespace auditrelay::splunk_hec
