import Foundation
import ToolSupport

/// The files a run leaves in its output directory beside each test's artifacts.
public enum RunReports {
    /// Writes `results.json`, `junit.xml`, `results.tap` and `report.html` into `directory`.
    public static func write(_ run: RunResult, to directory: String) throws {
        try JSONOutput.write(run, to: directory + "/results.json")
        try JUnitReport.xml(run).write(toFile: directory + "/junit.xml", atomically: true, encoding: .utf8)
        try TAPReport.text(run).write(toFile: directory + "/results.tap", atomically: true, encoding: .utf8)
        try HTMLReport.html(run).write(toFile: directory + "/report.html", atomically: true, encoding: .utf8)
    }
}
