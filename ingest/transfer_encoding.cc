#include "ingest/transfer_encoding.h"

#include <array>

namespace inboxd::ingest {
namespace {

constexpr std::array<signed char, 256> MakeBase64Table() {
  std::array<signed char, 256> t{};
  for (auto& v : t) v = -1;
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t i = 0; i < kAlphabet.size(); ++i) {
    t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<signed char>(i);
  }
  // URL-safe variants appear in broken mailers; accept them.
  t[static_cast<unsigned char>('-')] = 62;
  t[static_cast<unsigned char>('_')] = 63;
  return t;
}
constexpr std::array<signed char, 256> kBase64 = MakeBase64Table();

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string DecodeQp(std::string_view in, bool q_encoding) {
  std::string out;
  out.reserve(in.size());
  size_t i = 0;
  const size_t n = in.size();
  while (i < n) {
    char c = in[i];
    if (c == '_' && q_encoding) {
      out += ' ';
      ++i;
      continue;
    }
    if (c != '=') {
      out += c;
      ++i;
      continue;
    }
    // Soft line break: '=' then optional spaces/tabs then CRLF or LF.
    size_t j = i + 1;
    while (j < n && (in[j] == ' ' || in[j] == '\t')) ++j;
    if (j < n && (in[j] == '\r' || in[j] == '\n')) {
      if (in[j] == '\r' && j + 1 < n && in[j + 1] == '\n') ++j;
      i = j + 1;
      continue;
    }
    if (j == n && !q_encoding) {  // '=' at the very end: soft break
      i = n;
      continue;
    }
    if (i + 2 < n && HexValue(in[i + 1]) >= 0 && HexValue(in[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(in[i + 1]) * 16 + HexValue(in[i + 2]));
      i += 3;
      continue;
    }
    out += '=';  // malformed escape: keep it
    ++i;
  }
  return out;
}

}  // namespace

std::string DecodeBase64(std::string_view in) {
  std::string out;
  out.reserve(in.size() / 4 * 3 + 3);
  unsigned int acc = 0;
  int bits = 0;
  for (char ch : in) {
    if (ch == '=') break;
    int v = kBase64[static_cast<unsigned char>(ch)];
    if (v < 0) continue;
    acc = (acc << 6) | static_cast<unsigned int>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

size_t Base64DecodedSize(std::string_view in) {
  size_t symbols = 0;
  for (char ch : in) {
    if (ch == '=') break;
    if (kBase64[static_cast<unsigned char>(ch)] >= 0) ++symbols;
  }
  return symbols * 6 / 8;
}

std::string DecodeQuotedPrintable(std::string_view in) {
  return DecodeQp(in, false);
}

std::string DecodeQEncoding(std::string_view in) { return DecodeQp(in, true); }

}  // namespace inboxd::ingest
