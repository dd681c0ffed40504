//! The Tailwind classes the pages draw their buttons, panels, fields and tables with, each
//! written once so the pages look alike.

/// A white card around one part of a page.
pub const PANEL: &str = "rounded-xl border border-slate-200 bg-white p-5 shadow-sm dark:border-slate-800 dark:bg-slate-900";

/// The main action of a form or page.
pub const PRIMARY: &str = "inline-flex items-center justify-center rounded-md bg-sky-700 px-4 py-2 font-medium text-white shadow-sm hover:bg-sky-800 disabled:opacity-60 dark:bg-sky-500 dark:text-slate-950 dark:hover:bg-sky-400";
/// The way out next to [`PRIMARY`]: back, cancel.
pub const SECONDARY: &str = "inline-flex items-center justify-center rounded-md border border-slate-300 px-4 py-2 font-medium hover:bg-slate-100 disabled:opacity-60 dark:border-slate-700 dark:hover:bg-slate-800";

/// The main action among the smaller buttons of an admin page.
pub const PRIMARY_SMALL: &str = "inline-flex items-center rounded-md bg-sky-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-sky-800 disabled:opacity-60 dark:bg-sky-500 dark:text-slate-950 dark:hover:bg-sky-400";
/// An action among many on a page (a server's power buttons, a session's "revoke").
pub const BUTTON: &str = "rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-100 disabled:cursor-not-allowed disabled:opacity-50 dark:border-slate-700 dark:hover:bg-slate-800";
/// A [`BUTTON`] whose action destroys or cuts something off.
pub const DANGER: &str = "rounded-md border border-red-300 px-3 py-1.5 text-sm font-medium text-red-700 hover:bg-red-50 disabled:cursor-not-allowed disabled:opacity-50 dark:border-red-800 dark:text-red-300 dark:hover:bg-red-950";

/// The buttons and inputs of the admin pages' menus, filters and table rows.
pub const COMPACT_BUTTON: &str = "rounded-md border border-slate-300 px-2.5 py-1 text-xs font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800";
pub const COMPACT_INPUT: &str = "rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm dark:border-slate-700 dark:bg-slate-900";

/// A link that stands out from the text around it.
pub const LINK: &str = "font-medium text-sky-700 hover:underline dark:text-sky-400";
/// A link in the weight of the text around it.
pub const INLINE_LINK: &str = "text-sky-700 hover:underline dark:text-sky-400";

/// The label of a radio button drawn as a card, marked while its button is checked.
pub const RADIO_CARD: &str = "flex cursor-pointer items-start gap-3 rounded-lg border border-slate-200 p-3 has-[:checked]:border-sky-600 has-[:checked]:bg-sky-50 dark:border-slate-800 dark:has-[:checked]:border-sky-400 dark:has-[:checked]:bg-sky-950/40";

/// A coloured pill around a status; one of the `PILL_*` colours goes with it.
pub const PILL: &str = "inline-flex items-center rounded-full px-2.5 py-0.5 text-xs font-semibold print:border print:border-current";
/// Done, or working.
pub const PILL_GOOD: &str =
    "bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300";
/// Failed, or failing.
pub const PILL_BAD: &str = "bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-300";
/// Over, or nothing to say.
pub const PILL_QUIET: &str = "bg-slate-200 text-slate-700 dark:bg-slate-800 dark:text-slate-300";
/// Under way.
pub const PILL_BUSY: &str = "bg-sky-100 text-sky-800 dark:bg-sky-950 dark:text-sky-300";
/// Waiting, or wanting a look.
pub const PILL_WAITING: &str = "bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-300";

/// A table cell.
pub const CELL: &str = "px-3 py-2 align-top";

/// A customer form's input, as [`crate::ui::Field`] draws it.
pub const INPUT: &str = "mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-slate-900 shadow-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500/30 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100";
/// An admin form's label, input and the hint below it.
pub const LABEL: &str = "block text-sm font-medium text-slate-700 dark:text-slate-300";
pub const FIELD: &str = "mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-slate-900 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100";
pub const HINT: &str = "text-xs text-slate-500 dark:text-slate-400";

/// Text that says less than what is next to it: a fact's label, "none".
pub const MUTED: &str = "text-slate-500 dark:text-slate-400";

/// The red box an error stands in.
pub const ERROR_BOX: &str = "rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200";
