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
        user: Resource::new(move || version.get(), |_| current_user()),
        version,
    };
    provide_context(session);
    session
}

pub fn use_session() -> Session {
    use_context::<Session>().unwrap_or_else(provide_session)
}
