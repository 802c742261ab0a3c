import { ClientProxyFactory, Transport } from '@nestjs/microservices';
import { NestFactory } from '@nestjs/core';
it('loads', () => { expect(typeof ClientProxyFactory.create).toBe('function'); expect(Transport.REDIS).toBeDefined(); expect(NestFactory).toBeDefined(); });
