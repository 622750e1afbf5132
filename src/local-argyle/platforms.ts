/**
 * The made-up gig platforms and cities the dataset draws from. Each account is one connection
 * to one platform, so its gigs share an employer, a gig type mix, a currency and a distance
 * unit, as they would at Argyle.
 * @module
 */
import type { DistanceUnit, GigType, Location } from "./model.ts";
import type { Random } from "./random.ts";

export interface City {
  name: string;
  region: string;
  country: string;
  timezone: string;
  lat: number;
  lng: number;
  postcodes: readonly string[];
}

export interface Platform {
  employer: string;
  types: readonly GigType[];
  city: City;
  currency: string;
  distanceUnit: DistanceUnit;
  serviceTypes: readonly string[];
  /** Whether the platform reports hourly/mile rates (Argyle never calculates them). */
  reportsRates: boolean;
  /** Whether the platform reports the customer's price (and so `total_charge` and `fees`). */
  reportsCharges: boolean;
  /** Share of gigs whose `tips` the platform leaves unreported (null). */
  tipsUnreported: number;
  /** Some platforms send `breaks: null` rather than an empty list. */
  breaksNull: boolean;
}

const NEW_YORK: City = {
  name: "New York",
  region: "NY",
  country: "US",
  timezone: "America/New_York",
  lat: 40.7128,
  lng: -74.006,
  postcodes: ["10002", "10011", "10014", "10025", "11201", "11215"],
};
const CHICAGO: City = {
  name: "Chicago",
  region: "IL",
  country: "US",
  timezone: "America/Chicago",
  lat: 41.8781,
  lng: -87.6298,
  postcodes: ["60601", "60607", "60614", "60622", "60647"],
};
const LOS_ANGELES: City = {
  name: "Los Angeles",
  region: "CA",
  country: "US",
  timezone: "America/Los_Angeles",
  lat: 34.0522,
  lng: -118.2437,
  postcodes: ["90012", "90026", "90028", "90036", "90291"],
};
const TORONTO: City = {
  name: "Toronto",
  region: "ON",
  country: "CA",
  timezone: "America/Toronto",
  lat: 43.6532,
  lng: -79.3832,
  postcodes: ["M5V 2T6", "M4Y 1R5", "M6J 1H4", "M5A 3C4"],
};

export const PLATFORMS: readonly Platform[] = [
  {
    employer: "GigAndGo",
    types: ["delivery"],
    city: NEW_YORK,
    currency: "USD",
    distanceUnit: "miles",
    serviceTypes: ["Food delivery", "Grocery delivery", "Convenience"],
    reportsRates: true,
    reportsCharges: true,
    tipsUnreported: 0.15,
    breaksNull: false,
  },
  {
    employer: "RideAlong",
    types: ["rideshare"],
    city: CHICAGO,
    currency: "USD",
    distanceUnit: "miles",
    serviceTypes: ["Standard", "Comfort Ride", "XL", "Pool"],
    reportsRates: true,
    reportsCharges: true,
    tipsUnreported: 0.3,
    breaksNull: true,
  },
  {
    employer: "ShiftWorks",
    types: ["hourly", "hourly", "services"],
    city: LOS_ANGELES,
    currency: "USD",
    distanceUnit: "miles",
    serviceTypes: ["Warehouse shift", "Event staffing", "Furniture assembly"],
    reportsRates: false,
    reportsCharges: false,
    tipsUnreported: 0.9,
    breaksNull: false,
  },
  {
    employer: "MapleEats",
    types: ["delivery", "delivery", "rideshare"],
    city: TORONTO,
    currency: "CAD",
    distanceUnit: "km",
    serviceTypes: ["Food delivery", "Courier", "Standard"],
    reportsRates: false,
    reportsCharges: true,
    tipsUnreported: 0.1,
    breaksNull: false,
  },
];

const STREETS = ["Main", "Oak", "Pine", "Maple", "Cedar", "Elm", "Lake", "Hill", "Park", "Washington"];
const SUFFIXES = ["St", "Ave", "Blvd", "Rd", "Pl"];
const DIRECTIONS = ["", "", "North ", "South ", "East ", "West "];
const VENUES = ["Healthy Snacks", "Noodle House", "Taco Corner", "Green Grocer", "Pizza Palace", "Corner Deli"];

/** A place within ~15 km of the city centre, with a formatted address. */
export function randomLocation(random: Random, city: City): Location {
  const lat = city.lat + (random.next() - 0.5) * 0.27;
  const lng = city.lng + (random.next() - 0.5) * 0.35;
  const street = `${random.pick(DIRECTIONS)}${random.pick(STREETS)} ${random.pick(SUFFIXES)}`;
  const address = `${random.int(1, 2400)} ${street}, ${city.name}, ${city.region} ${random.pick(city.postcodes)}, ${city.country}`;
  // Argyle's coordinates are strings of varying precision; String() of a double gives just that.
  return { lat: String(lat), lng: String(lng), formatted_address: address };
}

/** A restaurant or shop name for pickup events. */
export function randomVenue(random: Random): string {
  return random.pick(VENUES);
}
