//! Every lifecycle as a status enum with its one table of legal moves. Code that changes a
//! status asks the table first, so a move the table does not list cannot happen anywhere.

mod order;

pub use order::OrderStatus;
