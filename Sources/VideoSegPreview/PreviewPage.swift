import Foundation

/// The preview page: the live picture (`/stream.mjpg`) and the figures (`/status.json`, read
/// once a second). One self-contained file: no scripts or styles from anywhere else.
enum PreviewPage {
    static func html(title: String) -> String {
        let escaped = title.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>VideoSeg: \(escaped)</title>
            \(style)
            </head>
            <body>
            <header><b>VideoSeg</b> live: \(escaped)</header>
            <main>
              <div id="view"><img id="picture" alt="segmented picture"><div id="outline"></div></div>
              <div>
                <table id="figures"></table>
                <div id="state">connecting…</div>
                <div id="subject">click a person to keep only them <button id="everybody">everybody</button></div>
              </div>
            </main>
            \(script)
            </body>
            </html>

            """
    }

    /// The page's look: dark, the picture first, figures beside it.
    static let style = """
        <style>
          body { margin: 0; background: #15181c; color: #e8eaed; font: 15px/1.4 system-ui, sans-serif; }
          header { padding: 10px 16px; font-size: 17px; }
          header b { color: #9ecbff; }
          main { display: flex; flex-wrap: wrap; gap: 16px; padding: 0 16px 16px; align-items: flex-start; }
          #picture { max-width: min(100%, 960px); background: #000; border: 1px solid #333; min-width: 320px; min-height: 180px; }
          table { border-collapse: collapse; min-width: 260px; }
          td { padding: 4px 10px; border-bottom: 1px solid #2a2f36; }
          td:first-child { color: #9aa0a6; }
          td:last-child { text-align: right; font-variant-numeric: tabular-nums; font-weight: 600; }
          #state { color: #9aa0a6; padding: 6px 10px; }
          #view { position: relative; display: inline-block; line-height: 0; max-width: min(100%, 960px); }
          #view #picture { max-width: 100%; cursor: crosshair; }
          #outline { position: absolute; border: 3px solid #ffd54a; box-sizing: border-box; pointer-events: none; display: none; }
          #subject { padding: 6px 10px; color: #9aa0a6; max-width: 260px; }
          button { font: inherit; margin-left: 8px; }
        </style>
        """

    /// Figures once a second; a click on the picture keeps the person there (`POST /subject`), and their box is outlined.
    static let script = """
        <script>
        const rows = [
          ["capture_fps", "capture", v => v.toFixed(1) + " fps", s => s.live],
          ["processed_fps", "processed", v => v.toFixed(1) + " fps", s => s.live],
          ["frames_dropped", "dropped", v => String(v), s => s.live],
          ["latency_ms", "latency", v => v.toFixed(0) + " ms", s => s.live],
          ["frames_done", "frames", (v, s) => s.frames_total ? v + " of " + s.frames_total : String(v), s => true],
          ["fps", "fps", v => v.toFixed(1), s => !s.live],
          ["eta_seconds", "time left", v => Math.floor(v / 60) + ":" + String(Math.round(v % 60)).padStart(2, "0"), s => !s.live],
          ["viewers", "viewers", v => String(v), s => true],
        ];
        async function refresh() {
          try {
            const s = await (await fetch("/status.json", {cache: "no-store"})).json();
            const table = document.getElementById("figures");
            table.innerHTML = "";
            for (const [key, name, show, applies] of rows) {
              if (!applies(s)) continue;
              const value = s[key];
              const row = table.insertRow();
              row.insertCell().textContent = name;
              row.insertCell().textContent = value === null || value === undefined ? "–" : show(value, s);
              row.id = "figure-" + key;
            }
            document.getElementById("state").textContent = s.running ? "running" : "finished";
            showSubject(s.subject);
          } catch (e) {
            document.getElementById("state").textContent = "stopped";
          }
        }
        // The chosen person's box, scaled from the picture's pixels to its size on the page.
        function showSubject(subject) {
          const outline = document.getElementById("outline"), picture = document.getElementById("picture");
          const box = subject && subject.box;
          if (!box || !picture.naturalWidth) { outline.style.display = "none"; return; }
          const scale = picture.clientWidth / picture.naturalWidth;
          outline.style.left = box[0] * scale + "px"; outline.style.top = box[1] * scale + "px";
          outline.style.width = box[2] * scale + "px"; outline.style.height = box[3] * scale + "px";
          outline.style.display = "block";
        }
        async function choose(query) {
          await fetch("/subject?" + query, {method: "POST"});
          refresh();
        }
        document.getElementById("picture").addEventListener("click", e => {
          const picture = e.target, r = picture.getBoundingClientRect();
          if (!picture.naturalWidth) return;
          const x = Math.round((e.clientX - r.left) * picture.naturalWidth / r.width);
          const y = Math.round((e.clientY - r.top) * picture.naturalHeight / r.height);
          choose("x=" + x + "&y=" + y);
        });
        document.getElementById("everybody").addEventListener("click", () => choose("choice=all"));
        refresh();
        setInterval(refresh, 1000);
        // Set after the page has loaded: an endless stream must not hold the load event.
        window.addEventListener("load", () => { document.getElementById("picture").src = "/stream.mjpg"; });
        </script>
        """
}
