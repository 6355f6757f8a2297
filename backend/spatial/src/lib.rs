//! Siaga geo index: jurisdiction lookup, nearest units and facilities (work in progress).
