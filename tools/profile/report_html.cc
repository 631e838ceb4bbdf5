// report.html: one self-contained page (inline SVG and CSS, no scripts, no
// network) summarising a profile.
#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tools/profile/profile_report.h"

namespace strata::cli {
namespace {

std::string Escape(absl::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// A horizontal bar per layer, 0..1 values (hit rate, recall).
std::string LayerBars(const std::vector<double>& values, const char* color, const char* label) {
  const int row = 12, width = 420, left = 60;
  std::string svg =
      absl::StrFormat("<svg width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"%s\">",
                      left + width + 60, row * static_cast<int>(values.size()) + 20, label);
  for (size_t l = 0; l < values.size(); ++l) {
    const double v = std::clamp(values[l], 0.0, 1.0);
    absl::StrAppendFormat(&svg,
                          "<text x=\"0\" y=\"%d\" font-size=\"10\">layer %d</text>"
                          "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>"
                          "<text x=\"%.1f\" y=\"%d\" font-size=\"10\">%.1f%%</text>",
                          static_cast<int>(l) * row + 10, static_cast<int>(l), left,
                          static_cast<int>(l) * row + 1, v * width, row - 2, color,
                          left + v * width + 4, static_cast<int>(l) * row + 10, 100 * v);
  }
  return svg + "</svg>";
}

std::string Heatmap(const ProfileData& d) {
  if (!d.popularity.has_value() || d.n_expert <= 0) return "<p>No experts (dense model).</p>";
  const moe::PopularityProfile& p = *d.popularity;
  const int cell = std::max(2, std::min(12, 900 / static_cast<int>(d.n_expert)));
  const int left = 50;
  std::string svg = absl::StrFormat(
      "<svg width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"expert popularity\">",
      left + cell * d.n_expert + 10, cell * d.n_layer + 20);
  for (int64_t l = 0; l < d.n_layer; ++l) {
    uint64_t max = 1;
    for (int64_t e = 0; e < d.n_expert; ++e) max = std::max(max, p.count(l, e));
    absl::StrAppendFormat(&svg, "<text x=\"0\" y=\"%d\" font-size=\"%d\">L%d</text>",
                          static_cast<int>(l) * cell + cell, std::min(cell + 2, 10),
                          static_cast<int>(l));
    for (int64_t e = 0; e < d.n_expert; ++e) {
      const double v = static_cast<double>(p.count(l, e)) / max;
      // White (unused) to deep red (the layer's most used expert).
      const int g = static_cast<int>(255 * (1.0 - v));
      absl::StrAppendFormat(&svg,
                            "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                            "fill=\"rgb(255,%d,%d)\"><title>layer %d expert %d: %d</title></rect>",
                            left + static_cast<int>(e) * cell, static_cast<int>(l) * cell, cell,
                            cell, g, g, static_cast<int>(l), static_cast<int>(e),
                            static_cast<int>(p.count(l, e)));
    }
  }
  return svg + "</svg>";
}

std::string BandwidthChart(const ProfileData& d) {
  double bin_us = 0;
  const std::vector<double> bw = ReadBandwidthBins(d, &bin_us);
  const int width = 800, height = 160;
  double max = 0.1;
  for (double v : bw) max = std::max(max, v);
  std::string points;
  for (size_t i = 0; i < bw.size(); ++i) {
    absl::StrAppendFormat(&points, "%.1f,%.1f ",
                          bw.size() > 1 ? i * static_cast<double>(width) / (bw.size() - 1) : 0.0,
                          height - bw[i] / max * height);
  }
  return absl::StrFormat(
      "<svg width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"read bandwidth\">"
      "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"%s\"/>"
      "<text x=\"4\" y=\"12\" font-size=\"11\">%.2f GB/s</text>"
      "<text x=\"4\" y=\"%d\" font-size=\"11\">0 — %.1f s, %.0f ms bins</text></svg>",
      width, height + 20, points, max, height + 16, bw.size() * bin_us * 1e-6, bin_us / 1000);
}

}  // namespace

std::string ReportHtml(const ProfileData& d) {
  const nlohmann::json s = SummaryJson(d);
  std::vector<double> hit, recall;
  for (const auto& layer : s["layers"]) {
    hit.push_back(layer.contains("expert") ? layer["expert"]["hit_pct"].get<double>() / 100 : 0);
    recall.push_back(layer.contains("predictor") ? layer["predictor"]["recall"].get<double>()
                                                 : 0.0);
  }
  std::string html =
      "<!doctype html><html><head><meta charset=\"utf-8\"><title>strata profile</title>"
      "<style>body{font-family:sans-serif;margin:24px;max-width:1000px}"
      "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;"
      "text-align:right}h2{margin-top:28px}</style></head><body>";
  absl::StrAppend(&html, "<h1>strata profile</h1><p>", Escape(d.model_path), "<br>predictor <b>",
                  Escape(d.predictor), "</b>, cache policy <b>", Escape(d.cache_policy),
                  "</b>, I/O ", Escape(d.io_mode), "</p>");
  const offload::ClassCounters t = d.tiers.total();
  absl::StrAppendFormat(
      &html,
      "<table><tr><th>prompt tokens</th><th>generated</th><th>prefill t/s</th><th>decode "
      "t/s</th><th>hit %%</th><th>read MiB</th><th>stall s</th><th>prefetch used / "
      "wasted</th></tr><tr><td>%d</td><td>%d</td><td>%.2f</td><td>%.2f</td><td>%.1f</td>"
      "<td>%.1f</td><td>%.3f</td><td>%d / %d</td></tr></table>",
      s["tokens"]["prompt"].get<int64_t>(), s["tokens"]["generated"].get<int64_t>(),
      s["tokens"]["prefill_tps"].get<double>(), s["tokens"]["decode_tps"].get<double>(),
      100.0 * t.hit_rate(), t.bytes_read / 1048576.0, t.stall_seconds, d.tiers.prefetch.used,
      d.tiers.prefetch.wasted);
  absl::StrAppend(&html, "<h2>Expert popularity (layer × expert)</h2>", Heatmap(d));
  absl::StrAppend(&html, "<h2>Expert hit rate per layer</h2>", LayerBars(hit, "#2ca02c", "hit"));
  if (d.prediction.has_value()) {
    absl::StrAppend(&html, "<h2>Predictor recall per layer</h2>",
                    LayerBars(recall, "#ff7f0e", "recall"));
  }
  absl::StrAppend(&html, "<h2>Read bandwidth over time</h2>", BandwidthChart(d));
  absl::StrAppend(&html, "</body></html>\n");
  return html;
}

}  // namespace strata::cli
