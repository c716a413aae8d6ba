"""Hall bookings (purpose `bookings`): halls, bookings for members and visitors, occupancy."""
