// The app's command names, read from the one `collect_commands![...]` list
// in src/lib.rs: included by build.rs (which declares a permission per
// command) and by the test that keeps capabilities/default.json granting
// exactly them.

/// The command names inside `collect_commands![ ... ]` (`module::name,`).
fn app_commands(source: &str) -> Vec<String> {
    let start = source.find("collect_commands![").expect("src/lib.rs registers its commands with collect_commands!");
    let block = &source[start + "collect_commands![".len()..];
    let block = &block[..block.find(']').expect("collect_commands! is closed")];
    block
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| item.rsplit("::").next().unwrap_or(item).to_string())
        .collect()
}
