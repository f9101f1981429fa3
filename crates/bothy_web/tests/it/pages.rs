use crate::both_dbs;
