//! Who is signed in, as a resource shared by the header and the pages.

use leptos::prelude::*;

use crate::auth::current_user;
use crate::errors::AppError;
use model::accounts::User;

#[derive(Clone, Copy)]
pub struct Session {
    pub user: Resource<Result<Option<User>, AppError>>,
    version: RwSignal<u32>,
}

impl Session {
    /// Loads the user again, after logging in or out or editing the profile.
    pub fn reload(self) {
        self.version.update(|version| *version += 1);
    }
}

pub fn provide_session() -> Session {
    let version = RwSignal::new(0);
    let session = Session {
        // `try_get`: a look-up still running when its page's answer has gone must not find the
        // signal disposed and panic (seen when a whole-page render ended first).
        user: Resource::new(
            move || version.try_get().unwrap_or_default(),
            |_| current_user(),
        ),
        version,
    };
    provide_context(session);
    session
}

pub fn use_session() -> Session {
    use_context::<Session>().unwrap_or_else(provide_session)
}
